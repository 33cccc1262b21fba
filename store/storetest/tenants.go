package storetest

import (
	"slices"
	"testing"

	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
)

func testTenants(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ts := e.st.Tenants()
	for _, slug := range []string{"delta", "bravo", "charlie"} {
		e.newTenant(t, slug)
	}
	got, err := ts.FindBySlug(e.ctx, "acme")
	must(t, "find by slug", err)
	if *got != *e.tenant {
		t.Errorf("FindBySlug: got %+v, want %+v", got, e.tenant)
	}
	byID, err := ts.FindByID(e.ctx, e.tenant.ID)
	must(t, "find by id", err)
	if *byID != *e.tenant {
		t.Errorf("FindByID: got %+v, want %+v", byID, e.tenant)
	}
	_, err = ts.FindByID(e.ctx, "zzzzzzzz")
	wantErr(t, "unknown id", err, tenants.ErrNotFound)
	_, err = ts.FindBySlug(e.ctx, "nobody")
	wantErr(t, "unknown slug", err, tenants.ErrNotFound)

	dup := *e.tenant
	dup.ID = "dupdupdu"
	wantErr(t, "a taken slug", ts.Insert(e.ctx, &dup), tenants.ErrSlugTaken)

	// Pages by slug, two at a time.
	var slugs []string
	pg := page.Page{Limit: 2}
	for range 10 {
		list, next, err := ts.Find(e.ctx, pg)
		must(t, "find", err)
		if len(list) > 2 {
			t.Fatalf("got %d tenants on a page of 2", len(list))
		}
		for _, tn := range list {
			slugs = append(slugs, tn.Slug)
		}
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	if want := []string{"acme", "bravo", "charlie", "delta"}; !slices.Equal(slugs, want) {
		t.Errorf("pages: got %v, want %v", slugs, want)
	}
	_, _, err = ts.Find(e.ctx, page.Page{Limit: 2, Cursor: "NOT A SLUG"})
	wantErr(t, "bad cursor", err, page.BadCursor)

	changed := *e.tenant
	changed.Name, changed.Status = "Renamed", tenants.Disabled
	changed.Settings.AllowSignup, changed.Settings.LockoutAttempts = true, 9
	must(t, "replace", ts.Replace(e.ctx, &changed))
	back, err := ts.FindByID(e.ctx, changed.ID)
	must(t, "find after replace", err)
	if *back != changed {
		t.Errorf("after Replace: got %+v, want %+v", back, changed)
	}
	ghost := changed
	ghost.ID = "ghostghs"
	wantErr(t, "replace of a missing tenant", ts.Replace(e.ctx, &ghost), tenants.ErrNotFound)

	must(t, "create database again", ts.CreateDatabase(e.ctx, e.tenant.ID))
	if _, err := e.st.Users().FindByUsername(e.ctx, e.tenant.ID, "boss"); err != nil {
		t.Errorf("a second CreateDatabase lost data: %v", err)
	}
	must(t, "delete", ts.Delete(e.ctx, e.tenant.ID))
	_, err = ts.FindByID(e.ctx, e.tenant.ID)
	wantErr(t, "a deleted tenant", err, tenants.ErrNotFound)
	wantErr(t, "delete again", ts.Delete(e.ctx, e.tenant.ID), tenants.ErrNotFound)
	// The slug is free again, for a new tenant with an empty database.
	again := e.newTenant(t, "acme")
	if again.ID == e.tenant.ID {
		t.Fatalf("the new tenant got the old id")
	}
	list, _, err := e.st.Users().Find(e.ctx, again.ID, usersFilterAll, page.Page{Limit: 10})
	must(t, "users of the new tenant", err)
	if len(list) != 1 {
		t.Errorf("the new tenant has %d users, want 1 (its owner)", len(list))
	}
}
