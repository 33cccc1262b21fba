package usertokens

// PasswordChecks returns how many passwords s has checked (tests only).
func PasswordChecks(s *Service) int64 { return s.checks.Load() }
