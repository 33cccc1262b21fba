package sqlite

import (
	"container/list"
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// pool keeps tenant files open, at most limit of them: when one more is
// opened, the least recently used files that nobody is using are closed.
// A file in use is never closed (each handle counts its users), so while
// more than limit tenants are busy at once the pool holds more files than
// limit, and it shrinks back as they are released.
type pool struct {
	limit int
	// open opens a tenant's file; errNoTenant when it has none.
	open func(ctx context.Context, id string) (*file, os.FileInfo, error)
	// recheck is how often a handle checks that its file is still the one
	// at its path: another process may have deleted the tenant.
	recheck time.Duration

	mu    sync.Mutex
	files map[string]*handle
	// idle holds the handles nobody uses, least recently used first.
	idle list.List
	// deleting holds the tenants being deleted: nothing may open them.
	deleting map[string]bool
	closed   bool
}

// handle is one tenant's open file in the pool.
type handle struct {
	*file
	id   string
	info os.FileInfo // of the file when it was opened
	// checked is when the file was last found at its path (Unix ns).
	checked atomic.Int64

	// Guarded by pool.mu.
	refs  int
	elem  *list.Element // in pool.idle while refs == 0
	dead  bool          // out of the pool: closed at its last release
	ready chan struct{} // closed once the file is open (or failed to)
	err   error         // why it failed to open
}

// recheckEvery is the pool's default recheck interval.
const recheckEvery = time.Second

func newPool(limit int, open func(context.Context, string) (*file, os.FileInfo, error)) *pool {
	return &pool{limit: limit, open: open, recheck: recheckEvery, files: map[string]*handle{}, deleting: map[string]bool{}}
}

// acquire returns tenant id's file, opening it if needed; the caller must
// release it. Errors: errNoTenant, errClosed, the opener's and ctx's.
func (p *pool) acquire(ctx context.Context, id string) (*handle, error) {
	return p.get(ctx, id, true)
}

// get is acquire; rejoin says whether a failed open that this caller only
// waited for may be tried once more by this caller itself: that open may
// have started before this caller's own earlier step (the file of a tenant
// being created was still empty when another request opened it).
func (p *pool) get(ctx context.Context, id string, rejoin bool) (*handle, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	if p.deleting[id] {
		p.mu.Unlock()
		return nil, errNoTenant
	}
	h := p.files[id]
	if h == nil {
		return p.add(ctx, id)
	}
	h.refs++
	if h.elem != nil {
		p.idle.Remove(h.elem)
		h.elem = nil
	}
	p.mu.Unlock()
	select {
	case <-h.ready:
	case <-ctx.Done():
		p.release(h)
		return nil, ctx.Err()
	}
	if h.err != nil {
		p.release(h)
		if rejoin {
			return p.get(ctx, id, false)
		}
		return nil, h.err
	}
	if p.moved(h) {
		p.discard(h)
		p.release(h)
		return p.get(ctx, id, rejoin)
	}
	return h, nil
}

// add opens tenant id's file as a new handle, with p.mu held on entry;
// others asking for it meanwhile wait for the same handle.
func (p *pool) add(ctx context.Context, id string) (*handle, error) {
	h := &handle{id: id, refs: 1, ready: make(chan struct{})}
	p.files[id] = h
	p.mu.Unlock()

	f, info, err := p.open(ctx, id)

	p.mu.Lock()
	h.file, h.info, h.err = f, info, err
	h.checked.Store(time.Now().UnixNano())
	close(h.ready)
	var victims []*handle
	if err != nil {
		p.evict(h)
	} else {
		victims = p.trim()
	}
	p.mu.Unlock()
	closeAll(victims)
	if err != nil {
		p.release(h)
		return nil, err
	}
	return h, nil
}

// release gives h back. The last user of a handle that left the pool
// closes its file; otherwise h becomes the most recently used idle file.
func (p *pool) release(h *handle) {
	p.mu.Lock()
	h.refs--
	var victims []*handle
	if h.refs == 0 {
		if h.dead {
			if h.file != nil {
				victims = append(victims, h)
			}
		} else {
			h.elem = p.idle.PushBack(h)
			victims = p.trim()
		}
	}
	p.mu.Unlock()
	closeAll(victims)
}

// trim takes least recently used idle handles out of the pool until it
// holds at most limit files, and returns them for closing. p.mu is held.
func (p *pool) trim() []*handle {
	var victims []*handle
	for len(p.files) > p.limit && p.idle.Len() > 0 {
		h := p.idle.Front().Value.(*handle)
		p.evict(h)
		victims = append(victims, h)
	}
	return victims
}

// evict takes h out of the pool, with p.mu held: no acquire returns it
// again, and its file closes at its last release, or, when nobody uses it,
// by the caller at once (evict then reports true).
func (p *pool) evict(h *handle) (idle bool) {
	if p.files[h.id] == h {
		delete(p.files, h.id)
	}
	h.dead = true
	if h.elem == nil {
		return false
	}
	p.idle.Remove(h.elem)
	h.elem = nil
	return true
}

// discard takes h out of the pool: no later acquire returns it, and its
// file closes at its last release.
func (p *pool) discard(h *handle) {
	p.mu.Lock()
	p.evict(h) // in use by the caller: closed at its release
	p.mu.Unlock()
}

// moved reports whether h's file is no longer at its path (another process
// deleted the tenant, or replaced its file), checking at most every
// p.recheck.
func (p *pool) moved(h *handle) bool {
	now := time.Now().UnixNano()
	last := h.checked.Load()
	if now-last < int64(p.recheck) || !h.checked.CompareAndSwap(last, now) {
		return false
	}
	info, err := os.Stat(h.path)
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	return err == nil && !os.SameFile(info, h.info)
}

// deleteFiles removes tenant id's files while no one can open them: the
// pool's handle of it, if any, leaves the pool (and closes once its users
// are done), and acquire answers errNoTenant until the files are gone.
func (p *pool) deleteFiles(id string, remove func() error) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errClosed
	}
	p.deleting[id] = true
	var victims []*handle
	if h := p.files[id]; h != nil && p.evict(h) {
		victims = append(victims, h)
	}
	p.mu.Unlock()
	closeAll(victims)
	err := remove()
	p.mu.Lock()
	delete(p.deleting, id)
	p.mu.Unlock()
	return err
}

// close closes every file; acquire fails from now on. Handles in use close
// at their last release.
func (p *pool) close() error {
	p.mu.Lock()
	p.closed = true
	var victims []*handle
	for _, h := range p.files {
		if p.evict(h) {
			victims = append(victims, h)
		}
	}
	p.mu.Unlock()
	return closeAll(victims)
}

// size returns how many tenant files the pool holds.
func (p *pool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.files)
}

func closeAll(hs []*handle) error {
	var errList []error
	for _, h := range hs {
		errList = append(errList, h.close())
	}
	return errors.Join(errList...)
}
