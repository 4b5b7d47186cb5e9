package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"parley/internal/store"
)

// openStore opens the database of an initialised data directory.
func (a *App) openStore(ctx context.Context) (*store.DB, error) {
	if !store.IsPostgresURL(a.DBURL) {
		if _, err := os.Stat(filepath.Join(a.DataDir, "parley.db")); err != nil {
			return nil, fmt.Errorf("no Parley data in %s (run parley init first, or pass --data)", a.DataDir)
		}
	}
	return store.Open(ctx, a.DataDir, a.DBURL)
}
