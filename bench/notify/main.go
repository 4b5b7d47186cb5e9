// Command notify measures how fast the news of a recorded stage reaches
// the families: it registers N inquiries with an e-mail address and/or a
// phone number, hands over a list of the N persons, confirms every
// family's link, records all N as included in an agreed stage (each
// through the service, as the workbench does), and then lets the outbox
// dispatcher deliver every pending notification — to the SMTP sink used in
// the tests, a real SMTP server on loopback, and to an SMS gateway on
// loopback that follows the documented request shape. It reports messages
// per second for each channel and checks that every notification arrived
// exactly once (by Message-ID and by gateway id).
//
//	go run ./bench/notify -persons 1000
//	go run ./bench/notify -persons 1000 -db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
//	go run ./bench/notify -workers 1 -batch 1 -reuse=false   # one at a time, a connection each: the former dispatcher
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"parley/bench/internal/benchdb"
	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/families"
	"parley/internal/ledger"
	"parley/internal/notify"
	"parley/internal/notify/smtpsink"
	"parley/internal/service"
	"parley/internal/store"
)

var (
	officerA = access.Actor{UserID: "oa", Username: "oa", Roles: []access.Role{access.Officer}, Party: "A"}
	officerB = access.Actor{UserID: "ob", Username: "ob", Roles: []access.Role{access.Officer}, Party: "B"}
	mediator = access.Actor{UserID: "med", Username: "med", Roles: []access.Role{access.Mediator}}
)

func main() {
	persons := flag.Int("persons", 1000, "persons in the stage, each with one family inquiry")
	channel := flag.String("channel", "both", "contacts the families give: email, sms or both")
	workers := flag.Int("workers", 8, "dispatcher workers")
	batch := flag.Int("batch", 0, "notifications claimed per round (0: the default, 8 per worker)")
	reuse := flag.Bool("reuse", true, "keep SMTP connections open between messages")
	dbURL := flag.String("db", "", "PostgreSQL server URL (a fresh database is created on it); empty for SQLite")
	flag.Parse()
	if *persons < 1 || *persons > 20000 {
		log.Fatal("persons must be between 1 and 20000")
	}
	email, sms := *channel != "sms", *channel != "email"
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "parley-notify-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	u, cleanup := benchdb.Fresh(*dbURL, "parley_notify")
	defer cleanup()
	db, err := store.Open(ctx, dir, u)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := service.New(ctx, db, quiet)
	if err != nil {
		log.Fatal(err)
	}
	if err := svc.CreateParties(ctx, demo.Parties); err != nil {
		log.Fatal(err)
	}
	if err := ledger.Init(dir, "parley.notify/log", []string{"A", "B"}); err != nil {
		log.Fatal(err)
	}
	lg, err := ledger.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	svc.AttachLedger(lg)
	svc.EnableFamilyLinking()

	// The families ask first; the list of the same persons follows.
	t0 := time.Now()
	var csv strings.Builder
	csv.WriteString("Фамилия;Имя;Отчество;Дата рождения\n")
	for i := range *persons {
		sur, given, patr, born := personName(i)
		req := families.Request{Surname: sur, GivenNames: given, Patronymic: patr, BirthDate: born.Format(time.DateOnly),
			Party: "B", Relationship: "parent", Consent: true, Lang: []string{"uk", "ru", "en"}[i%3]}
		if email {
			req.Email = fmt.Sprintf("family%d@example.org", i)
		}
		if sms {
			req.Phone = fmt.Sprintf("+38044%07d", i)
		}
		if _, err := svc.RegisterInquiry(ctx, req, service.RegisterOptions{Source: families.SourceAPI}); err != nil {
			log.Fatalf("inquiry %d: %v", i, err)
		}
		fmt.Fprintf(&csv, "%s;%s;%s;%s\n", sur, given, patr, born.Format("02.01.2006"))
	}
	path := filepath.Join(dir, "stage.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o600); err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	res, err := svc.ImportList(ctx, officerA, service.ImportRequest{From: "A", To: "B", Title: "Stage", Format: "csv"}, f)
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	listID := res.List.ID
	if _, err := svc.HandOver(ctx, officerA, listID); err != nil {
		log.Fatal(err)
	}
	links, err := svc.PendingLinks(ctx, officerB)
	if err != nil {
		log.Fatal(err)
	}
	confirmed := 0
	for _, lk := range links {
		if lk.Entry.Surname != lk.Inquiry.Relative.Surname || lk.Entry.GivenNames != lk.Inquiry.Relative.GivenNames || lk.Entry.BirthDate != lk.Inquiry.Relative.BirthDate {
			continue
		}
		if err := svc.ConfirmLink(ctx, officerB, lk.Link.ID, ""); err != nil {
			log.Fatal(err)
		}
		confirmed++
	}
	setup := time.Since(t0)

	// The stage: every person of the list is included.
	t1 := time.Now()
	changed := 0
	day := time.Now().UTC().Truncate(24 * time.Hour)
	for row := 1; row <= *persons; row++ {
		n, err := svc.SetInquiryOutcome(ctx, mediator, listID, row, families.StatusAgreed, day, "")
		if err != nil {
			log.Fatalf("row %d: %v", row, err)
		}
		changed += n
	}
	stage := time.Since(t1)

	var pending []*store.OutboxItem
	if err := db.View(ctx, func(tx *store.Tx) (err error) {
		pending, err = tx.OutboxItems(ctx, store.OutboxPending)
		return err
	}); err != nil {
		log.Fatal(err)
	}
	want := map[string]int{}
	for _, it := range pending {
		want[it.Channel]++
	}

	sink, err := smtpsink.Start("127.0.0.1:0", smtpsink.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sink.Close()
	gw := &gateway{seen: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: gw}
	go hs.Serve(ln)
	defer hs.Close()

	maxIdle := 0
	if !*reuse {
		maxIdle = -1
	}
	mail, err := notify.NewSMTPSender(notify.SMTPConfig{Host: sink.Host(), Port: sink.Port(), From: "inquiries@parley.test", TLS: notify.TLSNone, MaxIdle: maxIdle})
	if err != nil {
		log.Fatal(err)
	}
	smsSender, err := notify.NewSMSSender(notify.SMSConfig{URL: "http://" + ln.Addr().String() + "/v1/messages", Token: "bench"})
	if err != nil {
		log.Fatal(err)
	}
	d := notify.NewDispatcher(db, mail, nil, notify.Config{StatusURL: "https://parley.test/family/status", Workers: *workers, BatchSize: *batch}, quiet).WithSMS(smsSender)
	dctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	t2 := time.Now()
	go func() { done <- d.Run(dctx) }()
	var emailAt, smsAt time.Duration
	deadline := time.Now().Add(10 * time.Minute)
	for emailAt == 0 || smsAt == 0 {
		if time.Now().After(deadline) {
			log.Fatalf("not delivered after 10 minutes: %d of %d e-mails, %d of %d texts", len(sink.Messages()), want["email"], gw.count(), want["sms"])
		}
		time.Sleep(5 * time.Millisecond)
		if emailAt == 0 && len(sink.Messages()) >= want["email"] {
			emailAt = time.Since(t2)
		}
		if smsAt == 0 && gw.count() >= want["sms"] {
			smsAt = time.Since(t2)
		}
	}
	// Wait for the outbox to say so too, then stop.
	for {
		var left []*store.OutboxItem
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			left, err = tx.OutboxItems(ctx, store.OutboxPending)
			return err
		}); err != nil {
			log.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	all := time.Since(t2)
	stop()
	if err := <-done; err != nil {
		log.Fatal(err)
	}

	// Exactly once: every notification arrived, none twice.
	dupMail, dupSMS := 0, 0
	ids := map[string]int{}
	for _, m := range sink.Messages() {
		ids[m.MessageID]++
	}
	for _, it := range pending {
		switch it.Channel {
		case "email":
			if n := ids["<"+it.ID+"@parley.test>"]; n != 1 {
				dupMail++
			}
		case "sms":
			if n := gw.times(it.ID); n != 1 {
				dupSMS++
			}
		}
	}

	backend := "SQLite"
	if u != "" {
		backend = "PostgreSQL"
	}
	rate := func(n int, d time.Duration) string {
		if n == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f", float64(n)/d.Seconds())
	}
	fmt.Printf("%s: %d inquiries, %d links confirmed, setup %s; stage of %d recorded in %s (%d families changed)\n",
		backend, *persons, confirmed, setup.Round(time.Millisecond), *persons, stage.Round(time.Millisecond), changed)
	fmt.Printf("dispatcher: %d workers, batch %d, SMTP connections kept: %v; SMTP connections opened: %d\n\n", *workers, *batch, *reuse, sink.Connections())
	fmt.Println("| backend | channel | messages | time | messages/s | not exactly once |")
	fmt.Println("|---|---|---|---|---|---|")
	if want["email"] > 0 {
		fmt.Printf("| %s | e-mail | %d | %s | %s | %d |\n", backend, want["email"], emailAt.Round(time.Millisecond), rate(want["email"], emailAt), dupMail)
	}
	if want["sms"] > 0 {
		fmt.Printf("| %s | SMS | %d | %s | %s | %d |\n", backend, want["sms"], smsAt.Round(time.Millisecond), rate(want["sms"], smsAt), dupSMS)
	}
	fmt.Printf("| %s | all, outbox drained | %d | %s | %s | %d |\n", backend, len(pending), all.Round(time.Millisecond), rate(len(pending), all), dupMail+dupSMS)
	if dupMail+dupSMS > 0 {
		os.Exit(1)
	}
}

// personName returns a distinct person for each i: names combined from
// short lists and a date of birth of its own.
func personName(i int) (surname, given, patronymic string, born time.Time) {
	surnames := []string{"Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Бойко", "Ковальчук",
		"Мельник", "Лисенко", "Марченко", "Руденко", "Савченко", "Петренко", "Клименко", "Павленко", "Гончаренко", "Левченко"}
	givens := []string{"Андрій", "Олександр", "Сергій", "Дмитро", "Іван", "Микола", "Василь", "Петро", "Юрій", "Олег"}
	patrs := []string{"Іванович", "Петрович", "Миколайович", "Васильович", "Олександрович"}
	surname = surnames[i%len(surnames)]
	given = givens[(i/len(surnames))%len(givens)]
	patronymic = patrs[(i/(len(surnames)*len(givens)))%len(patrs)]
	born = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*7)
	return
}

// gateway is an SMS gateway on loopback as package notify documents it:
// it keeps the ids it has taken and answers 409 to one it knows.
type gateway struct {
	mu   sync.Mutex
	seen map[string]int
	sent int
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b notify.SMSBody
	if r.Header.Get("Authorization") != "Bearer bench" || json.NewDecoder(r.Body).Decode(&b) != nil || b.ID != r.Header.Get(notify.HeaderIdempotency) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.seen[b.ID]++
	first := g.seen[b.ID] == 1
	if first {
		g.sent++
	}
	g.mu.Unlock()
	if !first {
		w.WriteHeader(http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (g *gateway) count() int { g.mu.Lock(); defer g.mu.Unlock(); return g.sent }

func (g *gateway) times(id string) int { g.mu.Lock(); defer g.mu.Unlock(); return g.seen[id] }
