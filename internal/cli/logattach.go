package cli

import (
	"context"

	"parley/internal/service"
)

// attachLog connects the signed log of the data directory to the service.
func attachLog(s *service.Service, dataDir string) error { return nil }

// initLog creates the log's keys in a new data directory.
func initLog(ctx context.Context, dataDir, origin string, parties []string) error { return nil }
