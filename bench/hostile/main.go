// Command hostile measures how Parley refuses the hostile corpus of list
// files (package listfile/hostile): for each file, the wall time of the
// import through the service layer and the peak resident memory (VmHWM)
// of the whole process, each file in a fresh process of its own with a
// fresh SQLite (or PostgreSQL) database. The file reaches the service as a
// stream, as an upload does.
//
// With -wide the zip directory's checks are opened wide, so that the bombs
// meet the checks made while unpacking instead.
//
//	go run ./bench/hostile
//	go run ./bench/hostile -wide
//	go run ./bench/hostile -db postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/listfile/hostile"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/store"
)

func main() {
	child := flag.String("child", "", "import this file and report (internal)")
	db := flag.String("db", "", "PostgreSQL URL; default SQLite in a temporary data directory")
	valid := flag.Int("valid", 0, "also import a valid XLSX list of this many rows, for comparison")
	wide := flag.Bool("wide", false, "open the zip directory's checks (size, ratio) wide, to measure the checks made while unpacking")
	flag.Parse()
	if *child != "" {
		if err := runChild(*child, *db, *wide); err != nil {
			log.Fatal(err)
		}
		return
	}
	dir, err := os.MkdirTemp("", "parley-hostile-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	if *db != "" {
		// A database of its own, dropped at the end: the server's other
		// databases are left alone.
		fresh, drop, err := freshDatabase(*db)
		if err != nil {
			log.Fatal(err)
		}
		defer drop()
		*db = fresh
	}
	fmt.Println("| file | size | problem | HTTP | time | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, f := range hostile.Corpus() {
		path := filepath.Join(dir, f.Name)
		if err := f.WriteFile(path); err != nil {
			log.Fatal(err)
		}
		st, _ := os.Stat(path)
		out, err := exec.Command(self, "-child", path, "-db", *db, "-wide="+strconv.FormatBool(*wide)).CombinedOutput()
		if err != nil {
			log.Fatalf("%s: %v\n%s", f.Name, err, out)
		}
		fmt.Printf("| %s | %s | %s |\n", f.Name, size(st.Size()), strings.TrimSpace(string(out)))
		os.Remove(path)
	}
	if *valid > 0 {
		path := filepath.Join(dir, fmt.Sprintf("valid_%d.xlsx", *valid))
		if err := writeValid(path, *valid); err != nil {
			log.Fatal(err)
		}
		st, _ := os.Stat(path)
		out, err := exec.Command(self, "-child", path, "-db", *db).CombinedOutput()
		if err != nil {
			log.Fatalf("%s: %v\n%s", path, err, out)
		}
		fmt.Printf("| %s | %s | %s |\n", filepath.Base(path), size(st.Size()), strings.TrimSpace(string(out)))
	}
}

// freshDatabase creates an empty database next to the one named by u.
func freshDatabase(u string) (string, func(), error) {
	admin, err := sql.Open("pgx", u)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("parley_hostile_%d", os.Getpid())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		return "", nil, err
	}
	pu, err := url.Parse(u)
	if err != nil {
		return "", nil, err
	}
	pu.Path = "/" + name
	return pu.String(), func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	}, nil
}

// writeValid writes a valid list of n distinct persons as a workbook.
func writeValid(path string, n int) error {
	persons := make([]person.Person, n)
	given := []string{"Тарас", "Олег", "Андрій", "Ігор", "Сергій"}
	for i := range persons {
		persons[i] = person.Person{
			Kind: person.KindPOW, Surname: "Шевченко", GivenNames: given[i%len(given)], Patronymic: "Петрович",
			BirthDate: person.Date{Year: 1960 + i%40, Month: 1 + i%12, Day: 1 + i%28}, Rank: "солдат",
			ServiceNumber: fmt.Sprintf("АА-%07d", i), Unit: "в/ч А1234", Notes: "примітка",
		}
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := listfile.Write(out, listfile.XLSX, listfile.Meta{}, persons); err != nil {
		return err
	}
	return out.Close()
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// runChild imports one file and prints its problem, status, time and the
// process's peak memory.
func runChild(path, dbURL string, wide bool) error {
	ctx := context.Background()
	data, err := os.MkdirTemp("", "parley-hostile-data-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	db, err := store.Open(ctx, data, dbURL)
	if err != nil {
		return err
	}
	s, err := service.New(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.CreateParties(ctx, []parties.Party{{ID: "A", Name: "A", Translit: "icao"}, {ID: "B", Name: "B", Translit: "ua2010"}}); err != nil && dbURL == "" {
		return err
	}
	s.Limits.TempDir = filepath.Join(data, "tmp")
	if wide {
		s.Limits.UnzippedBytes, s.Limits.ZipRatio = 1<<40, 1<<40
	}
	format, err := listfile.FormatFromName(path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	officer := access.Actor{Username: "oa", Roles: []access.Role{access.Officer}, Party: "A"}
	start := time.Now()
	_, err = s.ImportList(ctx, officer, service.ImportRequest{From: "A", To: "B", Title: "hostile", Format: format}, struct{ io.Reader }{f})
	took := time.Since(start)
	code, status := "imported", "201"
	var ie *service.ImportError
	if errors.As(err, &ie) {
		status = "422"
		if ie.TooLarge {
			status = "413"
		}
		code = ie.Problems[0].Code
		if !ie.Refused {
			code += " (row " + strconv.Itoa(ie.Problems[0].Row) + ")"
		}
	} else if err != nil {
		return err
	}
	fmt.Printf("%s | %s | %.2f s | %d MiB\n", code, status, took.Seconds(), peakRSS()>>10)
	return nil
}

// peakRSS is the process's peak resident set size in KiB.
func peakRSS() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return -1
}
