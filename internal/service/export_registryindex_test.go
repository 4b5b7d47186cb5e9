package service

// RegistryIndexBuilds is how many registry matching indexes s has built.
func RegistryIndexBuilds(s *Service) int { return s.registryIndexes.buildCount() }

// RegistryIndexUpdates is how many kept registry indexes s has updated to
// a newer registry version.
func RegistryIndexUpdates(s *Service) int { return s.registryIndexes.updateCount() }

// ForgetRegistryIndexes drops s's kept registry indexes.
func ForgetRegistryIndexes(s *Service) { s.registryIndexes.forget() }
