package authn

// Waiting returns how many callers wait for a store read that another
// caller is making (single flight), so tests can tell when every caller of
// a burst has arrived.
func (c *Cache) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, f := range c.flights {
		n += f.joined
	}
	return n
}
