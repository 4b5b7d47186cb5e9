package msg

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"
)

// The catalogues: catalogue/<lang>/<area>.json, each a flat object of code
// → text. Each area keeps a file of its own, so that adding messages means
// adding files, not editing a shared one.
//
//go:embed catalogue
var catalogueFS embed.FS

var (
	loadOnce sync.Once
	loaded   map[string]map[string]string
)

// catalogues returns the loaded catalogues. They are part of the binary,
// so a malformed one is a programming error: it panics at first use, and
// TestCatalogues catches it before that.
func catalogues() map[string]map[string]string {
	loadOnce.Do(func() {
		c, err := Load()
		if err != nil {
			panic(err)
		}
		loaded = c
	})
	return loaded
}

// Load reads every catalogue: language → code → text. A code defined
// twice in one language is an error.
func Load() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, lang := range Languages {
		m := map[string]string{}
		files, err := fs.Glob(catalogueFS, "catalogue/"+lang+"/*.json")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := catalogueFS.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("msg: %s: %w", f, err)
			}
			var part map[string]string
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("msg: %s: %w", f, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("msg: %s: code %q defined twice for %s", f, k, lang)
				}
				m[k] = v
			}
		}
		out[lang] = m
	}
	return out, nil
}
