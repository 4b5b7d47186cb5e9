package service

import "parley/internal/store"

// StoreOf hands the service's database to this package's external tests,
// which check what was stored; outside tests the handle stays private so
// that every front end goes through the service's access checks.
func StoreOf(s *Service) *store.DB { return s.db }
