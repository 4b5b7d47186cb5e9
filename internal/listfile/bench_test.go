package listfile

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

const benchRows = 100_000

// Benchmark files are made once per run, each only when its benchmark runs,
// row by row, so that making them does not weigh on the memory measured.
var (
	benchDirOnce sync.Once
	benchDir     string
	benchDirErr  error
	csvOnce      sync.Once
	csvErr       error
	xlsxOnce     sync.Once
	xlsxErr      error
)

// TestMain removes the benchmark files.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

var benchHeader = []string{"№ з/п", "Прізвище", "Ім’я", "По батькові", "Дата народження", "Звання", "Особистий номер",
	"Військова частина", "Категорія", "Дата полонення", "Місце полонення", "Позивний"}

// benchRow returns row i of a list as a party keeps it: Ukrainian names,
// a complete date of birth, a month of capture, a unique service number
// (so that no row is a duplicate), categories on some rows and a call sign
// that Parley keeps as an extra attribute.
func benchRow(rng *rand.Rand, i int) (cells []string, birth time.Time) {
	surnames := []string{"Шевченко", "Коваль", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Мельник", "Лисенко", "Руденко", "Марченко", "Д’Артаньян"}
	given := []string{"Тарас", "Олег", "Андрій", "Ігор", "Сергій", "Максим", "Віктор", "Петро", "Іван", "Дмитро"}
	patr := []string{"Григорович", "Петрович", "Іванович", "Миколайович", "Сергійович", "Олегович"}
	cats := []string{"", "", "", "поранений", "важкохворий", "молодь", "поранений, молодь"}
	birth = time.Date(1965+rng.IntN(40), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	return []string{
		fmt.Sprint(i + 1), surnames[rng.IntN(len(surnames))], given[rng.IntN(len(given))], patr[rng.IntN(len(patr))],
		birth.Format("02.01.2006"), "солдат", fmt.Sprintf("АА-%06d", i), fmt.Sprintf("в/ч А%04d", rng.IntN(5000)),
		cats[rng.IntN(len(cats))], fmt.Sprintf("%02d.%d", 1+rng.IntN(12), 2022+rng.IntN(3)), "Донецька обл.", fmt.Sprintf("Сова-%d", i),
	}, birth
}

func benchPath(b *testing.B, name string, once *sync.Once, errp *error, make func(path string) error) string {
	b.Helper()
	benchDirOnce.Do(func() { benchDir, benchDirErr = os.MkdirTemp("", "listfile-bench-") })
	if benchDirErr != nil {
		b.Fatal(benchDirErr)
	}
	path := filepath.Join(benchDir, name)
	once.Do(func() { *errp = make(path) })
	if *errp != nil {
		b.Fatal(*errp)
	}
	return path
}

func makeBenchCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(1, 2))
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				w.WriteByte(';')
			}
			w.WriteString(c)
		}
		w.WriteByte('\n')
	}
	line(benchHeader)
	for i := 0; i < benchRows; i++ {
		cells, _ := benchRow(rng, i)
		line(cells)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// makeBenchXLSX writes the workbook as Excel would hold it: dates of birth
// as real dates (numbers with a date format), the rest as text.
func makeBenchXLSX(path string) error {
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	style, err := x.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	row := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < benchRows; i++ {
		cells, birth := benchRow(rng, i)
		for j, c := range cells {
			row[j] = c
		}
		row[4] = excelize.Cell{StyleID: style, Value: birth}
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(ref, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return x.SaveAs(path)
}

func benchRead(b *testing.B, path string, format Format) {
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Read(f, Options{Format: format})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Rows) != benchRows || len(res.Problems) != 0 {
			b.Fatalf("read %d rows, %d problems (first: %v)", len(res.Rows), len(res.Problems), res.Problems[:min(1, len(res.Problems))])
		}
		total += len(res.Rows)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReadCSV100k(b *testing.B) {
	benchRead(b, benchPath(b, "list.csv", &csvOnce, &csvErr, makeBenchCSV), CSV)
}

func BenchmarkReadXLSX100k(b *testing.B) {
	benchRead(b, benchPath(b, "list.xlsx", &xlsxOnce, &xlsxErr, makeBenchXLSX), XLSX)
}
