package client

import (
	"context"
	"iter"

	"github.com/latchkey/latchkey/client/api"
)

// PageFunc fetches the page after cursor (nil: the first page) and returns
// its items and the cursor of the next page (nil on the last).
type PageFunc[T any] func(ctx context.Context, cursor *string) ([]T, *string, error)

// All iterates over every item of every page that fetch returns, following
// next_cursor. An error ends the iteration after it is yielded.
func All[T any](ctx context.Context, fetch PageFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var cursor *string
		for {
			items, next, err := fetch(ctx, cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == nil || *next == "" {
				return
			}
			cursor = next
		}
	}
}

// Collect gathers what seq yields into a slice, stopping at the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Users iterates over every user the filters in p select (its Cursor is
// ignored; nil selects all).
func (c *Client) Users(ctx context.Context, p *api.ListUsersParams) iter.Seq2[api.User, error] {
	q := valueOf(p)
	return All(ctx, func(ctx context.Context, cursor *string) ([]api.User, *string, error) {
		q.Cursor = cursor
		r, err := c.ListUsersWithResponse(ctx, &q)
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Items, r.JSON200.NextCursor, nil
	})
}

// Tokens iterates over every user token the filters in p select.
func (c *Client) Tokens(ctx context.Context, p *api.ListTokensParams) iter.Seq2[api.UserToken, error] {
	q := valueOf(p)
	return All(ctx, func(ctx context.Context, cursor *string) ([]api.UserToken, *string, error) {
		q.Cursor = cursor
		r, err := c.ListTokensWithResponse(ctx, &q)
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Items, r.JSON200.NextCursor, nil
	})
}

// AppTokens iterates over every app token of the tenant.
func (c *Client) AppTokens(ctx context.Context, p *api.ListAppTokensParams) iter.Seq2[api.AppToken, error] {
	q := valueOf(p)
	return All(ctx, func(ctx context.Context, cursor *string) ([]api.AppToken, *string, error) {
		q.Cursor = cursor
		r, err := c.ListAppTokensWithResponse(ctx, &q)
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Items, r.JSON200.NextCursor, nil
	})
}

// Audit iterates over the audit records the filters in p select, newest
// first.
func (c *Client) Audit(ctx context.Context, p *api.ListAuditParams) iter.Seq2[api.AuditRecord, error] {
	q := valueOf(p)
	return All(ctx, func(ctx context.Context, cursor *string) ([]api.AuditRecord, *string, error) {
		q.Cursor = cursor
		r, err := c.ListAuditWithResponse(ctx, &q)
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Items, r.JSON200.NextCursor, nil
	})
}

// Tenants iterates over every tenant (platform owners only).
func (c *Client) Tenants(ctx context.Context, p *api.ListTenantsParams) iter.Seq2[api.Tenant, error] {
	q := valueOf(p)
	return All(ctx, func(ctx context.Context, cursor *string) ([]api.Tenant, *string, error) {
		q.Cursor = cursor
		r, err := c.ListTenantsWithResponse(ctx, &q)
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Items, r.JSON200.NextCursor, nil
	})
}

// valueOf copies *p, so the iterators never change the caller's params.
func valueOf[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}
