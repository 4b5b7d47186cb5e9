package httpx

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
)

// LoadCatalogues reads the message catalogues of a front end from fsys:
// for each language, root/<lang>.json when it exists and every
// root/<lang>/<area>.json, each a flat object of key → text. Front ends
// keep one file per area so that adding pages adds files instead of
// editing a shared one.
//
// A key given twice for one language is an error, and so is a key that one
// language has and another lacks: a missing message would show its key to
// the reader, a family or an officer, in the middle of a sentence.
func LoadCatalogues(fsys fs.FS, root string, langs []string) (map[string]map[string]string, error) {
	out := make(map[string]map[string]string, len(langs))
	for _, lang := range langs {
		files, err := fs.Glob(fsys, path.Join(root, lang, "*.json"))
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", lang, err)
		}
		if main := path.Join(root, lang+".json"); exists(fsys, main) {
			files = append([]string{main}, files...)
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("catalogue %s: no files under %s", lang, root)
		}
		m := map[string]string{}
		for _, name := range files {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("catalogue %s: %w", name, err)
			}
			var part map[string]string
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("catalogue %s: %w", name, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("catalogue %s: key %q given twice for %s", name, k, lang)
				}
				m[k] = v
			}
		}
		out[lang] = m
	}
	for _, lang := range langs[1:] {
		for k := range out[langs[0]] {
			if out[lang][k] == "" {
				return nil, fmt.Errorf("catalogue %s lacks %q", lang, k)
			}
		}
		for k := range out[lang] {
			if _, ok := out[langs[0]][k]; !ok {
				return nil, fmt.Errorf("catalogue %s has %q, which %s lacks", lang, k, langs[0])
			}
		}
	}
	return out, nil
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}
