package cli

import (
	"flag"
	"os"
	"path/filepath"

	"parley/internal/listfile"
	"parley/internal/service"
)

// limitFlags are the bounds on reading an uploaded or imported file, the
// same on the command line as for the server; zero keeps the default (see
// docs/limits.md).
type limitFlags struct {
	uploadMiB, unzippedMiB int64
	ratio                  int64
	rows, columns          int
}

func addLimitFlags(fs *flag.FlagSet) *limitFlags {
	d := listfile.DefaultLimits()
	l := &limitFlags{}
	fs.Int64Var(&l.uploadMiB, "max-upload-mib", d.FileBytes>>20, "largest list file or upload, in MiB")
	fs.Int64Var(&l.unzippedMiB, "max-unzipped-mib", d.UnzippedBytes>>20, "most an XLSX workbook may unpack to, in MiB")
	fs.Int64Var(&l.ratio, "max-zip-ratio", d.ZipRatio, "largest compression ratio of a part of an XLSX workbook")
	fs.IntVar(&l.rows, "max-rows", d.Rows, "most rows (JSON entries) in a list")
	fs.IntVar(&l.columns, "max-columns", d.Columns, "most columns in a list")
	return l
}

// limits returns the listfile limits the flags name; temporary files go
// to the data directory's own temporary folder.
func (l *limitFlags) limits(dataDir string) listfile.Limits {
	return listfile.Limits{
		FileBytes:     l.uploadMiB << 20,
		UnzippedBytes: l.unzippedMiB << 20,
		ZipRatio:      l.ratio,
		Rows:          l.rows,
		Columns:       l.columns,
		TempDir:       tempDir(dataDir),
	}
}

func (l *limitFlags) apply(s *service.Service, dataDir string) {
	s.Limits = l.limits(dataDir)
}

// tempDir is the data directory's own temporary folder: uploads hold
// personal data, which must not be left in a shared /tmp.
func tempDir(dataDir string) string { return filepath.Join(dataDir, "tmp") }

// resetTempDir empties the data directory's temporary folder (files left
// by a crash) and makes it the process's temporary directory, so that the
// standard library's own temporary files (large multipart uploads) land
// there too. Only the server calls it: it owns the folder while it runs.
func resetTempDir(dataDir string) (string, error) {
	dir := tempDir(dataDir)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	// os.TempDir reads $TMPDIR; mime/multipart offers no other way to
	// place its files. Only the parley binary owns its process's
	// environment; a server run inside tests leaves it alone.
	if OwnsProcess {
		if err := os.Setenv("TMPDIR", dir); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// OwnsProcess is set by the parley binary's main: the server may then make
// the data directory's temporary folder the whole process's one.
var OwnsProcess bool
