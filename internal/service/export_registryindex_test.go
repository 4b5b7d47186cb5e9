package service

// RegistryIndexBuilds is how many registry matching indexes s has built.
func RegistryIndexBuilds(s *Service) int { return s.registryIndexes.buildCount() }
