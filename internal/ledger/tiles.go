package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is the height of C2SP tlog-tiles tiles: 256 hashes wide.
const TileHeight = 8

// TileWidth is the number of hashes in a full tile and of entries in a
// full entry bundle.
const TileWidth = 1 << TileHeight

// TilePath is a parsed C2SP tlog-tiles resource path.
type TilePath struct {
	Entries bool  // an entry bundle rather than a hash tile
	Level   int   // the tile level (0 for entry bundles)
	Index   int64 // N
	Width   int   // W of a partial tile; 0 for a full one
}

// String encodes the path, relative to the log's prefix, e.g.
// "tile/0/x001/x234/067.p/8" or "tile/entries/000".
func (p TilePath) String() string {
	var b strings.Builder
	b.WriteString("tile/")
	if p.Entries {
		b.WriteString("entries")
	} else {
		b.WriteString(strconv.Itoa(p.Level))
	}
	b.WriteByte('/')
	b.WriteString(formatTileIndex(p.Index))
	if p.Width > 0 {
		b.WriteString(".p/")
		b.WriteString(strconv.Itoa(p.Width))
	}
	return b.String()
}

// formatTileIndex writes N in groups of three digits, all but the last
// prefixed with "x": 1234067 is "x001/x234/067". (tlog.Tile.Path uses a
// different layout, for the Go checksum database.)
func formatTileIndex(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// ParseTilePath reads a path such as "tile/1/x001/234.p/17" or
// "tile/entries/005" (with or without a leading slash). It accepts only
// the canonical encoding, so that each resource has one name.
func ParseTilePath(path string) (TilePath, error) {
	var p TilePath
	path = strings.TrimPrefix(path, "/")
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return p, errors.New("not a tile path")
	}
	level, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return p, errors.New("tile path has no index")
	}
	if level == "entries" {
		p.Entries = true
	} else {
		if level == "" || len(level) > 2 || (len(level) > 1 && level[0] == '0') || strings.Trim(level, "0123456789") != "" {
			return p, fmt.Errorf("bad tile level %q", level)
		}
		p.Level, _ = strconv.Atoi(level)
		if p.Level > 63 {
			return p, fmt.Errorf("tile level %d out of range", p.Level)
		}
	}
	if idx, w, ok := strings.Cut(rest, ".p/"); ok {
		if w == "" || len(w) > 3 || w[0] == '0' || strings.Trim(w, "0123456789") != "" {
			return p, fmt.Errorf("bad partial tile width %q", w)
		}
		p.Width, _ = strconv.Atoi(w)
		if p.Width < 1 || p.Width >= TileWidth {
			return p, fmt.Errorf("partial tile width %d out of range", p.Width)
		}
		rest = idx
	}
	groups := strings.Split(rest, "/")
	if len(groups) > 7 {
		return p, errors.New("tile index too large")
	}
	var n int64
	for i, g := range groups {
		last := i == len(groups)-1
		if !last {
			var ok bool
			if g, ok = strings.CutPrefix(g, "x"); !ok {
				return p, fmt.Errorf("tile index group %q must start with x", g)
			}
		}
		if len(g) != 3 || strings.Trim(g, "0123456789") != "" {
			return p, fmt.Errorf("tile index group %q is not three digits", g)
		}
		if i == 0 && !last && g == "000" {
			return p, errors.New("tile index has a leading zero group")
		}
		d, _ := strconv.Atoi(g)
		if n > (1<<63-1-int64(d))/1000 {
			return p, errors.New("tile index too large")
		}
		n = n*1000 + int64(d)
	}
	p.Index = n
	return p, nil
}

// tileExists reports whether the resource is part of the tree of the given
// size: a full tile must be complete, a partial tile must be the partial
// tile of this or an earlier tree size. Empty tiles do not exist.
func (p TilePath) exists(size int64) bool {
	level := p.Level
	if p.Entries {
		level = 0
	}
	if level > 7 { // 256^8 = 2^64 entries: no tree this big
		return false
	}
	// Number of hashes at this level: floor(size / 256^level).
	hashes := size >> (TileHeight * uint(level))
	if p.Index > (1<<62)/TileWidth {
		return false
	}
	start := p.Index * TileWidth
	w := int64(p.Width)
	if w == 0 {
		w = TileWidth
	}
	return start+w <= hashes
}

// TilesHandler serves the log read-only in the C2SP tlog-tiles layout,
// relative to where it is mounted:
//
//	mux.Handle("/log/", http.StripPrefix("/log", l.TilesHandler(db)))
//
// /checkpoint is the latest signed checkpoint with its cosignatures;
// /tile/<L>/<N>[.p/<W>] are hash tiles; /tile/entries/<N>[.p/<W>] are
// entry bundles. The openings (salts) are never served.
func (l *Log) TilesHandler(st ReadStorage) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ctx := r.Context()
		if r.URL.Path == "/checkpoint" {
			var cp *Checkpoint
			var err error
			if is, ok := st.(IssueStorage); ok {
				cp, err = l.IssueCheckpoint(ctx, is)
			} else {
				cp, err = l.Checkpoint(ctx, st)
			}
			if err != nil {
				serverError(w, "read checkpoint", err)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			// Mutable: a client must see a new checkpoint within seconds.
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(cp.Note)
			return
		}
		p, err := ParseTilePath(r.URL.Path)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		cp, err := st.LatestCheckpoint(ctx)
		var size int64
		switch {
		case errors.Is(err, ErrNotFound):
			size = 0
		case err != nil:
			serverError(w, "read checkpoint", err)
			return
		default:
			size = cp.Size
		}
		if !p.exists(size) {
			http.NotFound(w, r)
			return
		}
		var data []byte
		if p.Entries {
			data, err = readBundle(ctx, st, p)
		} else {
			data, err = readTile(ctx, st, p)
		}
		if err != nil {
			serverError(w, "read "+p.String(), err)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if p.Width == 0 {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			// A partial tile never changes either, but it is replaced by
			// the full tile and may be dropped; keep caches short.
			w.Header().Set("Cache-Control", "public, max-age=60")
		}
		w.Write(data)
	})
}

func serverError(w http.ResponseWriter, what string, err error) {
	slog.Error("log handler failed", "what", what, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// readTile returns the bytes of a hash tile from stored hashes.
func readTile(ctx context.Context, st ReadStorage, p TilePath) ([]byte, error) {
	return tlog.ReadTileData(tlog.Tile{H: TileHeight, L: p.Level, N: p.Index, W: widthOf(p)}, storageHashes{ctx: ctx, st: st})
}

func widthOf(p TilePath) int {
	if p.Width == 0 {
		return TileWidth
	}
	return p.Width
}

// readBundle returns an entry bundle: each entry as a big-endian uint16
// length and the entry's bytes. A missing entry is an error: a bundle with
// a hole would silently renumber the entries after it.
func readBundle(ctx context.Context, st ReadStorage, p TilePath) ([]byte, error) {
	start := p.Index * TileWidth
	w := int64(widthOf(p))
	rows, err := st.LogEntries(ctx, start, start+w)
	if err != nil {
		return nil, err
	}
	if int64(len(rows)) != w {
		return nil, fmt.Errorf("entries %d..%d: %d of %d present", start, start+w-1, len(rows), w)
	}
	var out []byte
	for i, e := range rows {
		if e.Index != start+int64(i) {
			return nil, fmt.Errorf("entry %d missing", start+int64(i))
		}
		if len(e.Data) > MaxEntrySize {
			return nil, fmt.Errorf("entry %d too large", e.Index)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(e.Data)))
		out = append(out, e.Data...)
	}
	return out, nil
}

// ParseBundle splits an entry bundle into its entries.
func ParseBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, errors.New("entry bundle: dangling byte")
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, fmt.Errorf("entry bundle: entry %d wants %d bytes, %d left", len(out), n, len(data)-2)
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out, nil
}
