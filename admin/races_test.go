package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/tenants"
)

// Races in the core are settled by unique keys on the embedded store: of
// concurrent attempts exactly one wins and the others get a clean answer.

func TestConcurrentInitialize(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{SkipInit: true})
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	boots := make(chan *admin.Bootstrap, n)
	for i := range n {
		wg.Go(func() {
			// Staggered, as instances starting together on one store are:
			// some begin while the first is still making the platform.
			time.Sleep(time.Duration(i) * 15 * time.Millisecond)
			b, err := s.App.Initialize(context.Background(), fmt.Sprintf("password-%d", i))
			if err == nil {
				boots <- b
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	close(boots)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, admin.ErrInitialised):
			t.Errorf("a losing Initialize: got %v, want ErrInitialised", err)
		}
	}
	if won != 1 {
		t.Fatalf("got %d successful Initialize calls of %d, want 1", won, n)
	}
	b := <-boots
	s.Login(t, b.AppToken, "admin", b.Admin.Password)
}

func TestConcurrentSameUsername(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	statuses := parallel(t, s, 10, func(i int) testserver.Request {
		return testserver.Request{Method: "POST", Path: "/api/v1/users", AppToken: s.AppToken, Token: owner,
			JSON: map[string]any{"username": []string{"Twin", "twin", "TWIN"}[i%3], "password": fmt.Sprintf("password-%d", i),
				"email": "twin@example.test", "role": "member"}}
	})
	if statuses[http.StatusCreated] != 1 || statuses[http.StatusConflict] != 9 {
		t.Errorf("got statuses %v, want one 201 and nine 409", statuses)
	}
	r := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users?q=twin", AppToken: s.AppToken, Token: owner})
	if n := len(itemsOf(t, r)); n != 1 {
		t.Errorf("got %d users named twin, want 1", n)
	}
}

func TestConcurrentSameSlug(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	statuses := parallel(t, s, 6, func(int) testserver.Request {
		return testserver.Request{Method: "POST", Path: "/api/v1/tenants", AppToken: s.AppToken, Token: owner, JSON: newTenantBody("dup")}
	})
	if statuses[http.StatusCreated] != 1 || statuses[http.StatusConflict] != 5 {
		t.Errorf("got statuses %v, want one 201 and five 409", statuses)
	}
}

// parallel sends n requests at once and counts the answers by status.
func parallel(t *testing.T, s *testserver.Server, n int, req func(i int) testserver.Request) map[int]int {
	t.Helper()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for i := range n {
		wg.Go(func() {
			r := s.Do(t, req(i))
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return statuses
}

// A platform tenant left "creating" by a crash is reported, not waited for
// forever, and not mistaken for a finished one.
func TestInitializeReportsAHalfMadePlatform(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{SkipInit: true})
	ctx := context.Background()
	now := s.Clock.Now()
	if err := s.App.Tenants.Store.Insert(ctx, &tenants.Tenant{ID: "halfmade", Slug: tenants.PlatformSlug, Name: "Platform",
		Status: tenants.Creating, Platform: true, Created: now, Updated: now}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(time.Minute)
	start := time.Now()
	_, err := s.App.Initialize(ctx, "platform-password")
	if err == nil || errors.Is(err, admin.ErrInitialised) || !strings.Contains(err.Error(), "half-made") {
		t.Errorf("got %v, want the half-made error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s, want the answer at once for an old half-made platform", d)
	}
}
