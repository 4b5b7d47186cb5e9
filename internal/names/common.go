package names

// Given is a common given name in its Ukrainian and Russian forms.
type Given struct {
	UK    string   // Ukrainian form
	RU    string   // primary Russian form
	Other []string // further spellings of the same name (Russian ё forms, variants, a common English spelling)
	Sex   byte     // 'M' or 'F'
	// Weight is a rough relative frequency among Ukrainian servicemen or
	// women of the generation born 1965–2005, for generating realistic test
	// data; it is not used for matching.
	Weight int
}

// commonGiven is a hand-written table of common Ukrainian given names and
// their Russian equivalents. The table of name correspondences (ua2ru.csv)
// already has almost all of them; the table is kept so that the names that
// matter most are joined even where that data lacks or misspells a pair
// (it lacks Марко/Марк and Панас/Афанасий, for example), and it gives the
// test-data generator its names. Weights are approximate, from the
// published frequency lists of Ukrainian given names.
var commonGiven = []Given{
	{UK: "Олександр", RU: "Александр", Other: []string{"Alexander"}, Sex: 'M', Weight: 90},
	{UK: "Сергій", RU: "Сергей", Sex: 'M', Weight: 70},
	{UK: "Андрій", RU: "Андрей", Sex: 'M', Weight: 65},
	{UK: "Володимир", RU: "Владимир", Sex: 'M', Weight: 55},
	{UK: "Олексій", RU: "Алексей", Sex: 'M', Weight: 45},
	{UK: "Дмитро", RU: "Дмитрий", Sex: 'M', Weight: 50},
	{UK: "Іван", RU: "Иван", Sex: 'M', Weight: 40},
	{UK: "Микола", RU: "Николай", Sex: 'M', Weight: 40},
	{UK: "Юрій", RU: "Юрий", Sex: 'M', Weight: 35},
	{UK: "Віктор", RU: "Виктор", Sex: 'M', Weight: 30},
	{UK: "Василь", RU: "Василий", Sex: 'M', Weight: 30},
	{UK: "Віталій", RU: "Виталий", Sex: 'M', Weight: 30},
	{UK: "Михайло", RU: "Михаил", Sex: 'M', Weight: 30},
	{UK: "Петро", RU: "Петр", Other: []string{"Пётр"}, Sex: 'M', Weight: 20},
	{UK: "Павло", RU: "Павел", Sex: 'M', Weight: 25},
	{UK: "Ігор", RU: "Игорь", Sex: 'M', Weight: 30},
	{UK: "Олег", RU: "Олег", Sex: 'M', Weight: 30},
	{UK: "Максим", RU: "Максим", Sex: 'M', Weight: 35},
	{UK: "Богдан", RU: "Богдан", Sex: 'M', Weight: 25},
	{UK: "Тарас", RU: "Тарас", Sex: 'M', Weight: 15},
	{UK: "Роман", RU: "Роман", Sex: 'M', Weight: 30},
	{UK: "Євген", RU: "Евгений", Other: []string{"Євгеній"}, Sex: 'M', Weight: 30},
	{UK: "Анатолій", RU: "Анатолий", Sex: 'M', Weight: 15},
	{UK: "Валерій", RU: "Валерий", Sex: 'M', Weight: 12},
	{UK: "Вадим", RU: "Вадим", Sex: 'M', Weight: 15},
	{UK: "Владислав", RU: "Владислав", Sex: 'M', Weight: 20},
	{UK: "Григорій", RU: "Григорий", Sex: 'M', Weight: 10},
	{UK: "Ілля", RU: "Илья", Sex: 'M', Weight: 10},
	{UK: "Яків", RU: "Яков", Sex: 'M', Weight: 4},
	{UK: "Степан", RU: "Степан", Sex: 'M', Weight: 8},
	{UK: "Федір", RU: "Федор", Other: []string{"Фёдор"}, Sex: 'M', Weight: 6},
	{UK: "Костянтин", RU: "Константин", Sex: 'M', Weight: 15},
	{UK: "Леонід", RU: "Леонид", Sex: 'M', Weight: 8},
	{UK: "Артем", RU: "Артем", Other: []string{"Артём"}, Sex: 'M', Weight: 25},
	{UK: "Денис", RU: "Денис", Sex: 'M', Weight: 25},
	{UK: "Антон", RU: "Антон", Sex: 'M', Weight: 15},
	{UK: "Артур", RU: "Артур", Sex: 'M', Weight: 10},
	{UK: "Ярослав", RU: "Ярослав", Sex: 'M', Weight: 15},
	{UK: "Станіслав", RU: "Станислав", Sex: 'M', Weight: 10},
	{UK: "Руслан", RU: "Руслан", Sex: 'M', Weight: 20},
	{UK: "Валентин", RU: "Валентин", Sex: 'M', Weight: 6},
	{UK: "Геннадій", RU: "Геннадий", Sex: 'M', Weight: 5},
	{UK: "Борис", RU: "Борис", Sex: 'M', Weight: 5},
	{UK: "В'ячеслав", RU: "Вячеслав", Sex: 'M', Weight: 15},
	{UK: "Данило", RU: "Даниил", Other: []string{"Данила"}, Sex: 'M', Weight: 12},
	{UK: "Кирило", RU: "Кирилл", Sex: 'M', Weight: 10},
	{UK: "Назар", RU: "Назар", Sex: 'M', Weight: 10},
	{UK: "Остап", RU: "Остап", Sex: 'M', Weight: 3},
	{UK: "Орест", RU: "Орест", Sex: 'M', Weight: 3},
	{UK: "Святослав", RU: "Святослав", Sex: 'M', Weight: 4},
	{UK: "Тимофій", RU: "Тимофей", Sex: 'M', Weight: 4},
	{UK: "Матвій", RU: "Матвей", Sex: 'M', Weight: 4},
	{UK: "Семен", RU: "Семен", Other: []string{"Семён"}, Sex: 'M', Weight: 4},
	{UK: "Едуард", RU: "Эдуард", Sex: 'M', Weight: 5},
	{UK: "Микита", RU: "Никита", Sex: 'M', Weight: 8},
	{UK: "Марко", RU: "Марк", Sex: 'M', Weight: 3},
	{UK: "Гліб", RU: "Глеб", Sex: 'M', Weight: 2},
	{UK: "Захар", RU: "Захар", Sex: 'M', Weight: 3},
	{UK: "Георгій", RU: "Георгий", Sex: 'M', Weight: 3},
	{UK: "Йосип", RU: "Иосиф", Sex: 'M', Weight: 2},
	{UK: "Пилип", RU: "Филипп", Sex: 'M', Weight: 2},
	{UK: "Панас", RU: "Афанасий", Sex: 'M', Weight: 1},
	{UK: "Мар'ян", RU: "Марьян", Sex: 'M', Weight: 3},
	{UK: "Дем'ян", RU: "Демьян", Sex: 'M', Weight: 2},
	{UK: "Олена", RU: "Елена", Sex: 'F', Weight: 30},
	{UK: "Наталія", RU: "Наталья", Other: []string{"Наталия", "Наталя"}, Sex: 'F', Weight: 25},
	{UK: "Ольга", RU: "Ольга", Sex: 'F', Weight: 25},
	{UK: "Тетяна", RU: "Татьяна", Sex: 'F', Weight: 25},
	{UK: "Ірина", RU: "Ирина", Sex: 'F', Weight: 25},
	{UK: "Юлія", RU: "Юлия", Sex: 'F', Weight: 20},
	{UK: "Світлана", RU: "Светлана", Sex: 'F', Weight: 15},
	{UK: "Оксана", RU: "Оксана", Sex: 'F', Weight: 15},
	{UK: "Марія", RU: "Мария", Sex: 'F', Weight: 15},
	{UK: "Ганна", RU: "Анна", Other: []string{"Анна"}, Sex: 'F', Weight: 20},
	{UK: "Катерина", RU: "Екатерина", Sex: 'F', Weight: 20},
	{UK: "Людмила", RU: "Людмила", Sex: 'F', Weight: 10},
	{UK: "Надія", RU: "Надежда", Sex: 'F', Weight: 10},
	{UK: "Вікторія", RU: "Виктория", Sex: 'F', Weight: 15},
	{UK: "Анастасія", RU: "Анастасия", Sex: 'F', Weight: 15},
	{UK: "Галина", RU: "Галина", Sex: 'F', Weight: 8},
	{UK: "Інна", RU: "Инна", Sex: 'F', Weight: 8},
	{UK: "Лариса", RU: "Лариса", Sex: 'F', Weight: 6},
	{UK: "Валентина", RU: "Валентина", Sex: 'F', Weight: 6},
	{UK: "Софія", RU: "София", Other: []string{"Софья"}, Sex: 'F', Weight: 6},
	{UK: "Дар'я", RU: "Дарья", Sex: 'F', Weight: 8},
	{UK: "Христина", RU: "Кристина", Sex: 'F', Weight: 6},
	{UK: "Яна", RU: "Яна", Sex: 'F', Weight: 6},
	{UK: "Аліна", RU: "Алина", Sex: 'F', Weight: 8},
	{UK: "Віра", RU: "Вера", Sex: 'F', Weight: 5},
	{UK: "Любов", RU: "Любовь", Sex: 'F', Weight: 5},
	{UK: "Лілія", RU: "Лилия", Sex: 'F', Weight: 4},
}

// CommonGiven returns the hand-written table of common given names. The
// slice is a copy.
func CommonGiven() []Given {
	out := make([]Given, len(commonGiven))
	copy(out, commonGiven)
	return out
}
