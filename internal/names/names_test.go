package names

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// Spellings that must share a skeleton: scripts, transliteration systems,
// ё/е, і/и/ї/й/ы, г/ґ/х/h/g, apostrophes, hyphens, case, Latin look-alikes,
// doubled letters and the -ий/-iy/-yi/-ii endings.
func TestKeyAgrees(t *testing.T) {
	groups := [][]string{
		{"Сергій", "Сергей", "Serhii", "Serhiy", "Sergiy", "Sergey", "Sergei", "Sergej", "СЕРГІЙ", "Сергiй" /* Latin i */},
		{"Олексій", "Oleksii", "Oleksiy", "Oleksij"},
		{"Алексей", "Aleksey", "Alexey", "Alexei", "Aleksei", "Aleksiej"},
		{"Юрій", "Юрий", "Yuriy", "Yurii", "Iurii", "Juri", "Jurij", "Yury"},
		{"Шевченко", "Shevchenko", "Ševčenko", "Schewtschenko", "SHEVCHENKO", "Szewczenko", "Шевчeнко" /* Latin e */},
		{"Шпаковський", "Шпаковский", "Shpakovskyi", "Shpakovsky", "Shpakovskiy", "Shpakovskij"},
		{"Григор'єв", "Григор’єв", "Григорʼєв", "Григор`єв", "Григорьев", "Hryhoriev", "Grigoryev", "Grigorev"},
		{"Пётр", "Петр", "Pyotr", "Petr"},
		{"Фёдор", "Федор", "Fyodor", "Fedor"},
		{"Ілля", "Илья", "Illia", "Ilya", "Ilia"},
		{"Наталія", "Наталья", "Наталия", "Nataliya", "Natalia", "Natalya"},
		{"Євген", "Yevhen", "Ievhen", "Evhen"},
		{"Михайло", "Mykhailo", "Mykhaylo", "Mihailo"},
		{"Ганна", "Hanna", "Ganna"},
		{"Ґудзь", "Гудзь", "Gudz", "Hudz"},
		{"Корж-Марченко", "Корж Марченко", "Korzh-Marchenko"},
		{"Щербина", "Shcherbyna", "Scherbina", "Ŝerbina"},
		{"Цой", "Tsoi", "Tsoy", "Tzoi"},
		{"Олександр", "Oleksandr", "Олександр\u0301"},
		{"Андрій", "Андрей", "Andrii", "Andriy", "Andrey", "Andrei"},
		{"Дмитрий", "Dmitriy", "Dmitry", "Dmitrii"},
		{"Ковальов", "Kovalov"},
		{"Ковалёв", "Ковалев", "Kovalyov", "Kovalev", "Kovalëv"},
		{"Йосип", "Yosyp", "Josyp"},
		{"Мар'яна", "Марьяна", "Maryana", "Mariana"},
		{"Ленц", "Lenc", "Lents"},
		{"Алексеевич", "Alekseevich", "Alekseyevich"},
		{"Й", "й"},
	}
	for _, g := range groups {
		want := KeyJoined(g[0])
		if want == "" {
			t.Errorf("KeyJoined(%q) is empty", g[0])
		}
		for _, s := range g[1:] {
			if got := KeyJoined(s); got != want {
				t.Errorf("KeyJoined(%q) = %q, want %q as for %q", s, got, want, g[0])
			}
		}
	}
}

func TestKeyDiffers(t *testing.T) {
	pairs := [][2]string{
		{"Сергій", "Олексій"},
		{"Шевченко", "Шевчук"},
		{"Шевченко", "Щербенко"},
		{"Микола", "Михайло"},
		{"Іван", "Іванна"},
		{"Петро", "Павло"},
		{"Олег", "Ольга"},
		{"Yurii", "Yuliia"},
		{"Коваль", "Ковальов"},
		{"Жук", "Шук"},
		{"Зайченко", "Сайченко"},
	}
	for _, p := range pairs {
		if a, b := KeyJoined(p[0]), KeyJoined(p[1]); a == b {
			t.Errorf("KeyJoined(%q) = KeyJoined(%q) = %q; want different", p[0], p[1], a)
		}
	}
}

func TestKeyWords(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Шевченко  Сергій\tМиколайович", "SevCenko sergi mikolaioviC"},
		{"С.М.", "s m"},
		{"Shevchenko, Serhii", "SevCenko sergi"},
		{"", ""},
		{"123 -- ''", ""},
		{"Ivan 2nd", "ivan nd"},
	}
	for _, c := range cases {
		if got := Key(c.in); got != c.want {
			t.Errorf("Key(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// AppendKeyJoined appends to what is there and equals KeyJoined.
	buf := []byte("x:")
	if got := string(AppendKeyJoined(buf, "Корж Марченко")); got != "x:"+KeyJoined("Корж-Марченко") {
		t.Errorf("AppendKeyJoined = %q", got)
	}
}

// Equivalence classes across Ukrainian, Russian and Latin: every form in a
// group must have the same Canonical id.
func TestCanonicalAgrees(t *testing.T) {
	groups := [][]string{
		{"Сергій", "Сергей", "Serhii", "Sergey"},
		{"Олексій", "Алексей", "Oleksii", "Aleksey", "Alexey", "Oleksiy"},
		{"Микола", "Николай", "Mykola", "Nikolay", "Nikolai"},
		{"Дмитро", "Дмитрий", "Dmytro", "Dmitriy", "Dmitry"},
		{"Петро", "Петр", "Пётр", "Petro", "Pyotr"},
		{"Павло", "Павел", "Pavlo", "Pavel"},
		{"Ілля", "Илья", "Illia", "Ilya"},
		{"Олександр", "Александр", "Oleksandr", "Aleksandr", "Alexander"},
		{"Володимир", "Владимир", "Volodymyr", "Vladimir"},
		{"Євген", "Евгений", "Yevhen", "Evgeniy", "Yevgeny"},
		{"Ганна", "Анна", "Hanna", "Anna"},
		{"Марко", "Марк"},
		{"Панас", "Афанасий"},
		{"Федір", "Федор", "Фёдор"},
		{"Яків", "Яков", "Yakiv", "Yakov"},
		{"Миколайович", "Николаевич", "Mykolaiovych", "Nikolaevich", "Nikolayevich"},
		{"Ілліч", "Ильич", "Illich", "Ilyich"},
		{"Якович", "Яковлевич", "Yakovych", "Yakovlevich"},
	}
	for _, g := range groups {
		want := Canonical(g[0])
		for _, s := range g[1:] {
			if got := Canonical(s); got != want {
				t.Errorf("Canonical(%q) = %q, want %q as for %q", s, got, want, g[0])
			}
		}
	}
}

func TestCanonicalDiffers(t *testing.T) {
	pairs := [][2]string{
		{"Сергій", "Олексій"}, {"Микола", "Михайло"}, {"Петро", "Павло"}, {"Іван", "Ігор"},
		{"Олександр", "Олександра"}, {"Миколайович", "Михайлович"}, {"Шевченко", "Шевчук"},
	}
	for _, p := range pairs {
		if Canonical(p[0]) == Canonical(p[1]) {
			t.Errorf("Canonical(%q) = Canonical(%q) = %q; want different", p[0], p[1], Canonical(p[0]))
		}
	}
	if Canonical("") != "" || Canonical("--") != "" {
		t.Error("Canonical of no letters must be empty")
	}
	// A name the table does not know is its own class.
	if got, want := Canonical("Зюзюкало"), KeyJoined("Zyuzyukalo"); got != want {
		t.Errorf("Canonical of an unknown name = %q, want its skeleton %q", got, want)
	}
}

// Every pair of the hand-written table must be joined, whether or not the
// table of correspondences has it.
func TestCommonGivenJoined(t *testing.T) {
	pairs := map[string]bool{}
	for _, e := range Entries() {
		pairs[strings.ToLower(e.UK+"/"+e.RU)] = true
	}
	missing := 0
	for _, g := range CommonGiven() {
		if Canonical(g.UK) != Canonical(g.RU) {
			t.Errorf("%s/%s not joined", g.UK, g.RU)
		}
		for _, o := range g.Other {
			if Canonical(g.UK) != Canonical(o) {
				t.Errorf("%s/%s not joined", g.UK, o)
			}
		}
		if !IsGivenName(g.UK) || !IsGivenName(g.RU) {
			t.Errorf("IsGivenName(%s or %s) is false", g.UK, g.RU)
		}
		if ru, ok := Russian(g.UK); !ok || Canonical(ru) != Canonical(g.RU) {
			t.Errorf("Russian(%s) = %q, %v", g.UK, ru, ok)
		}
		if g.Sex != 'M' && g.Sex != 'F' || g.Weight <= 0 {
			t.Errorf("%s: bad sex or weight", g.UK)
		}
		// Check the claim of the table's comment: the data lacks a few.
		if !pairs[strings.ToLower(g.UK+"/"+g.RU)] {
			missing++
		}
	}
	if missing == 0 {
		t.Error("the correspondences have every common pair; the hand-written table's comment is out of date")
	}
}

func TestPatronymicRoot(t *testing.T) {
	groups := []struct {
		father string
		forms  []string
	}{
		{"Микола", []string{"Миколайович", "Николаевич", "Mykolaiovych", "Nikolaevich", "Миколаївна", "Николаевна", "Николай", "Mykola"}},
		{"Ілля", []string{"Ілліч", "Ильич", "Іллівна", "Illich"}},
		{"Яків", []string{"Якович", "Яковлевич", "Яківна", "Яковлевна"}},
		{"Сергій", []string{"Сергійович", "Сергеевич", "Serhiiovych", "Sergeyevich", "Сергіївна", "Сергеевна"}},
		{"Петро", []string{"Петрович", "Petrovych", "Petrovich", "Петрівна", "Петровна"}},
		{"Павло", []string{"Павлович", "Pavlovych"}},
		{"Олексій", []string{"Олексійович", "Алексеевич"}},
		{"Юрій", []string{"Юрійович", "Юрьевич", "Yuriyovych", "Iurevich"}},
	}
	for _, g := range groups {
		want := Canonical(g.father)
		for _, f := range g.forms {
			if got := PatronymicRoot(f); got != want {
				t.Errorf("PatronymicRoot(%q) = %q, want %q (Canonical(%q))", f, got, want, g.father)
			}
		}
	}
	if PatronymicRoot("Миколайович") == PatronymicRoot("Михайлович") {
		t.Error("Миколайович and Михайлович share a root")
	}
	// An unknown patronymic loses its ending, so that it meets its father's name.
	if got, want := PatronymicRoot("Зюзюкович"), KeyJoined("Зюзюк"); got != want {
		t.Errorf("PatronymicRoot of an unknown patronymic = %q, want %q", got, want)
	}
}

func TestUkrainianPatronymic(t *testing.T) {
	cases := []struct{ father, male, female string }{
		{"Микола", "Миколайович", "Миколаївна"},
		{"Ілля", "Ілліч", "Іллівна"},
		{"Яків", "Якович", "Яківна"},
		{"Сергій", "Сергійович", "Сергіївна"},
		{"Петро", "Петрович", "Петрівна"},
		{"Василь", "Васильович", "Василівна"},
		{"Іван", "Іванович", "Іванівна"},
		{"Ігор", "Ігорович", "Ігорівна"},
		{"Федір", "Федорович", "Федорівна"},
	}
	for _, c := range cases {
		if got := UkrainianPatronymic(c.father, false); got != c.male {
			t.Errorf("UkrainianPatronymic(%s, male) = %s, want %s", c.father, got, c.male)
		}
		if got := UkrainianPatronymic(c.father, true); got != c.female {
			t.Errorf("UkrainianPatronymic(%s, female) = %s, want %s", c.father, got, c.female)
		}
		if !IsPatronymic(c.male) || !IsPatronymic(c.female) || IsPatronymic(c.father) {
			t.Errorf("IsPatronymic wrong for %s / %s / %s", c.male, c.female, c.father)
		}
	}
}

func TestInitials(t *testing.T) {
	cases := []struct {
		name string
		want []byte // letters that must be among the initials
		not  []byte
	}{
		{"Олексій", []byte{'o', 'a'}, []byte{'s'}},
		{"Алексей", []byte{'o', 'a'}, nil},
		{"Євген", []byte{'e', 'i'}, nil},
		{"Сергій", []byte{'s'}, []byte{'o'}},
		{"Ганна", []byte{'g', 'a'}, nil},
		{"Зюзюк", []byte{'z'}, nil},
	}
	for _, c := range cases {
		got := Initials(c.name)
		for _, b := range c.want {
			if !strings.ContainsRune(got, rune(b)) {
				t.Errorf("Initials(%s) = %q, lacks %c", c.name, got, b)
			}
		}
		for _, b := range c.not {
			if strings.ContainsRune(got, rune(b)) {
				t.Errorf("Initials(%s) = %q, has %c", c.name, got, b)
			}
		}
	}
}

func TestVariantsAndClassKeys(t *testing.T) {
	v := Variants("Serhii")
	if len(v) < 2 || !contains(v, "Сергій") || !contains(v, "Сергей") {
		t.Errorf("Variants(Serhii) = %v", v)
	}
	if Variants("Зюзюкало") != nil || ClassKeys("nosuchclass") != nil {
		t.Error("unknown names must have no variants")
	}
	keys := ClassKeys(Canonical("Микола"))
	if !contains(keys, KeyJoined("Николай")) || !contains(keys, KeyJoined("Микола")) {
		t.Errorf("ClassKeys(Микола) = %v", keys)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestJaroWinkler(t *testing.T) {
	cases := []struct {
		a, b string
		want float64
	}{
		{"MARTHA", "MARHTA", 0.9611},
		{"DWAYNE", "DUANE", 0.84},
		{"DIXON", "DICKSONX", 0.8133},
		{"abc", "abc", 1},
		{"", "", 0},
		{"abc", "", 0},
		{"abc", "xyz", 0},
	}
	for _, c := range cases {
		if got := JaroWinkler(c.a, c.b); math.Abs(got-c.want) > 0.001 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.4f", c.a, c.b, got, c.want)
		}
	}
}

func TestSimilarity(t *testing.T) {
	if s := Similarity("Микола", "Nikolay"); s != 1 {
		t.Errorf("Similarity(Микола, Nikolay) = %v, want 1", s)
	}
	typo := Similarity("Шевченко", "Шевчнеко")
	other := Similarity("Шевченко", "Бондаренко")
	if typo < 0.9 || other > typo {
		t.Errorf("Similarity: typo %.3f, other name %.3f", typo, other)
	}
	if Similarity("", "Шевченко") != 0 {
		t.Error("similarity with an empty name must be 0")
	}
}

func TestPhonetic(t *testing.T) {
	same := [][2]string{{"Шевченко", "Shevchenko"}, {"Коваленко", "Ковaлинко"}, {"Олексієнко", "Алексеенко"}, {"Бондар", "Пондар"}}
	for _, p := range same {
		if Phonetic(p[0]) != Phonetic(p[1]) {
			t.Errorf("Phonetic(%s) = %s, Phonetic(%s) = %s", p[0], Phonetic(p[0]), p[1], Phonetic(p[1]))
		}
	}
	if Phonetic("Шевченко") == Phonetic("Мельник") {
		t.Error("Шевченко and Мельник share a phonetic code")
	}
	if n := len(Phonetic("Корж-Марченко-Богоявленський")); n > 6 {
		t.Errorf("phonetic code of %d letters, want at most 6", n)
	}
}

func TestBuildRejectsBadData(t *testing.T) {
	for _, in := range []string{"", "a,b\n", "uk,ru,count\nx,y\n"} {
		if _, err := build(bytes.NewReader([]byte(in))); err == nil {
			t.Errorf("build(%q) succeeded", in)
		}
	}
}
