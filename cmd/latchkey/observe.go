package main

import (
	"fmt"

	"github.com/latchkey/latchkey/configs"
	"github.com/latchkey/latchkey/internal/tracing"
	"github.com/latchkey/latchkey/leaks"
)

// leakKeys reads the public keys of the leaks section; errors name the key
// at fault.
func leakKeys(c configs.Leaks) (*leaks.Keys, error) {
	keys, err := leaks.ParseKeys(c.PublicKeys)
	if err != nil {
		return nil, fmt.Errorf("config: leaks.public_keys: %w", err)
	}
	if c.PublicKeysFile != "" {
		if err := keys.ReadFile(c.PublicKeysFile); err != nil {
			return nil, fmt.Errorf("config: leaks.public_keys_file: %w", err)
		}
	}
	return keys, nil
}

// tracingOptions returns the tracing of the tracing section.
func tracingOptions(c configs.Tracing) tracing.Options {
	return tracing.Options{Endpoint: c.OTLPEndpoint, SampleRatio: c.SampleRatio, Version: version}
}
