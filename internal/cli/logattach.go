package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"parley/internal/ledger"
	"parley/internal/service"
)

// attachLog connects the signed log of the data directory to the service,
// so that every state change appends to it in the same transaction.
func attachLog(s *service.Service, dataDir string) error {
	lg, err := ledger.Open(dataDir)
	if err != nil {
		return err
	}
	s.AttachLedger(lg)
	return nil
}

// initLog creates the log's keys in a new data directory: the mediator's
// signing key and one witness key per party. The origin names the log in
// its checkpoints; by default it is unique to the installation.
func initLog(ctx context.Context, dataDir, origin string, parties []string) error {
	if origin == "" {
		origin = defaultOrigin()
	}
	return ledger.Init(dataDir, origin, parties)
}

// defaultOrigin names a new log uniquely to its installation.
func defaultOrigin() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "parley.local/" + hex.EncodeToString(b[:])
}
