package store

// SetFTSDriveMax sets how many hits of the full-text index a registry
// page reads itself (ftsDriveMax) and returns the former value.
func SetFTSDriveMax(n int64) int64 { return ftsDriveMax.Swap(n) }
