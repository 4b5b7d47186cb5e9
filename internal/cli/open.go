package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"parley/internal/access"
	"parley/internal/nodes"
	"path/filepath"

	"parley/internal/service"
	"parley/internal/store"
)

// initialised reports whether the data directory (or the PostgreSQL
// database) holds an initialised Parley installation.
func (a *App) checkInitialised() error {
	if !store.IsPostgresURL(a.DBURL) {
		if _, err := os.Stat(filepath.Join(a.DataDir, "parley.db")); err != nil {
			return fmt.Errorf("no Parley data in %s (run parley init first, or pass --data)", a.DataDir)
		}
	}
	return nil
}

// openStore opens the database of an initialised data directory.
func (a *App) openStore(ctx context.Context) (*store.DB, error) {
	if err := a.checkInitialised(); err != nil {
		return nil, err
	}
	return store.Open(ctx, a.DataDir, a.DBURL)
}

// openService opens the data directory with its signed log attached.
func (a *App) openService(ctx context.Context) (*service.Service, error) {
	db, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	s, err := service.New(ctx, db, a.logger(), a.serviceOptions...)
	if err != nil {
		db.Close()
		return nil, err
	}
	// A node holds no log of its own (it mirrors the hub's) and acts for
	// its party only.
	if s.Mode() == nodes.Node {
		a.nodeParty = s.NodeParty()
	} else if err := attachLog(s, a.DataDir); err != nil {
		db.Close()
		return nil, err
	}
	// Temporary files of uploads and exports hold personal data: they go
	// to the data directory's own folder, never to a shared /tmp.
	s.Limits.TempDir = tempDir(a.DataDir)
	if err := os.MkdirAll(s.Limits.TempDir, 0o700); err != nil {
		db.Close()
		return nil, fmt.Errorf("create the temporary folder of %s: %w", a.DataDir, err)
	}
	return s, nil
}

// logger returns the command line's logger: warnings and errors only, on
// stderr, so that command output stays clean.
func (a *App) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// actor is who the command line acts as. On a party node it is an officer
// (and administrator) of the node's party, so that every rule of package
// access applies: the node's party is implied and another party is
// refused. Elsewhere it is the local operator, who may do everything.
func (a *App) actor() access.Actor {
	if a.nodeParty == "" {
		return access.System
	}
	return access.Actor{Username: "system", Roles: []access.Role{access.Officer, access.Admin}, Party: a.nodeParty}
}
