package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley/internal/store"
)

// Config tunes a Dispatcher. Zero values select the defaults.
type Config struct {
	// StatusURL is the address of the family status page, written into
	// e-mails (e.g. "https://parley.example/family/status").
	StatusURL string
	// Owner names this dispatcher in leases; default host name, process id
	// and a random suffix.
	Owner string
	// Workers is how many deliveries run at once; default 8. Each
	// delivery mostly waits for the receiving server, so a few workers
	// multiply the throughput of one slow round trip; the SMTP sender keeps
	// one connection per worker open.
	Workers int
	// BatchSize is how many due notifications one round claims, in one
	// statement; default 8 per worker. The round's outcomes are recorded in
	// one transaction.
	BatchSize int
	// PollInterval is how often the outbox is looked at when nothing wakes
	// the dispatcher (notifications of other processes); default 5 s.
	PollInterval time.Duration
	// Lease is how long a claimed notification belongs to this dispatcher.
	// It must exceed the senders' timeouts, so that a slow attempt is not
	// taken over by another dispatcher; default 2 min.
	Lease time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts, which
	// doubles after each failure (with ±20 % jitter); defaults 5 s and 1 h.
	// Failures are retried without end: a mail server that is down for a
	// day delays the news by a day, it does not lose it.
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock by which notifications fall due and leases run
	// out; tests replace it with a fake clock that they move on instead
	// of sleeping.
	Now func() time.Time
	// OnRound, when set, is called by Run after each round has been
	// recorded, with its figures: a hook for tests, which wait for the
	// dispatcher's rounds instead of sleeping, and for instrumentation.
	OnRound func(Stats)
}

// Dispatcher delivers the outbox. Several dispatchers, in one process or
// several, may run against one database.
type Dispatcher struct {
	db     *store.DB
	mail   *SMTPSender
	sms    *SMSSender
	hook   *WebhookSender
	cfg    Config
	logger *slog.Logger
}

// NewDispatcher returns a dispatcher. mail or hook may be nil when that
// channel is not configured; its notifications then wait (and are retried
// with backoff) until a dispatcher that has it runs.
func NewDispatcher(db *store.DB, mail *SMTPSender, hook *WebhookSender, cfg Config, logger *slog.Logger) *Dispatcher {
	if logger == nil {
		logger = slog.Default()
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = host + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(rand.Uint64()%1e6, 10)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 8 * cfg.Workers
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 5 * time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(time.Hour, cfg.MinBackoff)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Dispatcher{db: db, mail: mail, hook: hook, cfg: cfg, logger: logger}
}

// WithSMS gives the dispatcher an SMS gateway and returns it. Without one,
// SMS notifications wait (and are retried with backoff) until a
// dispatcher that has one runs.
func (d *Dispatcher) WithSMS(s *SMSSender) *Dispatcher {
	d.sms = s
	return d
}

// Stats counts what one round did.
type Stats struct {
	Delivered, Retried, Failed int
	// Claimed counts the notifications the round claimed, tried or not.
	Claimed int
}

// Run delivers notifications until ctx ends: at once when a transaction of
// this process enqueues one, when the earliest retry falls due, and every
// PollInterval. On return the attempt in progress has finished and been
// recorded, and the leases of notifications not yet tried are released.
func (d *Dispatcher) Run(ctx context.Context) error {
	wake := subscribe()
	defer unsubscribe(wake)
	defer func() {
		if d.mail != nil {
			d.mail.CloseIdle()
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := d.db.Update(rctx, func(tx *store.Tx) error { return tx.ReleaseOutbox(rctx, d.cfg.Owner) }); err != nil {
			d.logger.Warn("notify: releasing leases", "err", err)
		}
	}()
	for {
		st, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger.Warn("notify: outbox round failed", "err", err)
		}
		if d.cfg.OnRound != nil {
			d.cfg.OnRound(st)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil && st.Claimed >= d.cfg.BatchSize {
			continue // there may be more due at once
		}
		wait := d.cfg.PollInterval
		var next time.Time
		var ok bool
		_ = d.db.View(ctx, func(tx *store.Tx) (err error) {
			next, ok, err = tx.NextOutboxDue(ctx)
			return err
		})
		if ok {
			wait = min(wait, max(next.Sub(d.cfg.Now()), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// RunOnce claims up to BatchSize notifications due now, tries each once
// on Workers workers at a time, and records the outcomes in one
// transaction. It stops starting attempts when ctx ends, but attempts in
// progress are finished and recorded; notifications claimed and not tried
// are released at once.
func (d *Dispatcher) RunOnce(ctx context.Context) (Stats, error) {
	var st Stats
	var claimed []*store.OutboxItem
	now := d.cfg.Now()
	if err := d.db.Update(ctx, func(tx *store.Tx) (err error) {
		claimed, err = tx.ClaimOutbox(ctx, d.cfg.Owner, now, now.Add(d.cfg.Lease), d.cfg.BatchSize)
		return err
	}); err != nil {
		return st, err
	}
	st.Claimed = len(claimed)
	if len(claimed) == 0 {
		return st, nil
	}
	// From here on every attempt runs to its end even if ctx is
	// cancelled: abandoning it half-way is what could deliver a message
	// without recording it.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Lease)
	defer cancel()
	results := make([]error, len(claimed))
	tried := make([]bool, len(claimed))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(d.cfg.Workers, len(claimed)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				it := claimed[i]
				// An item whose lease is half gone waited too long behind
				// slow deliveries; it goes back rather than risk another
				// dispatcher taking it while it is being sent.
				if d.cfg.Now().After(it.LeaseUntil.Add(-d.cfg.Lease / 2)) {
					continue
				}
				results[i] = d.deliver(actx, it)
				tried[i] = true
			}
		}()
	}
	for i := range claimed {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	// The outcomes are recorded even when the round used up its time.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer rcancel()
	return st, d.record(rctx, claimed, tried, results, &st)
}

func (d *Dispatcher) deliver(ctx context.Context, it *store.OutboxItem) error {
	var n Notification
	if err := json.Unmarshal(it.Payload, &n); err != nil {
		return &PermanentError{Err: fmt.Errorf("unreadable notification: %w", err)}
	}
	switch Channel(it.Channel) {
	case Email:
		if d.mail == nil {
			return errors.New("no mail server configured")
		}
		subject, body, err := Render(n, d.cfg.StatusURL)
		if err != nil {
			return &PermanentError{Err: err}
		}
		return d.mail.Send(ctx, it.Recipient, subject, body, messageID(it.ID, d.mail.From()), d.cfg.Now())
	case SMS:
		if d.sms == nil {
			return errors.New("no SMS gateway configured")
		}
		text, err := RenderSMS(n, d.cfg.StatusURL)
		if err != nil {
			return &PermanentError{Err: err}
		}
		return d.sms.Send(ctx, it.ID, it.Recipient, text)
	case Webhook:
		if d.hook == nil {
			return errors.New("no webhook secret configured")
		}
		b, err := json.Marshal(WebhookBody{ID: it.ID, Event: n.Kind, Reference: n.Reference, Status: n.Status, Date: n.Date, Secret: n.Secret})
		if err != nil {
			return &PermanentError{Err: err}
		}
		return d.hook.Send(ctx, it.Recipient, it.ID, n.Kind, b, d.cfg.Now())
	}
	return &PermanentError{Err: fmt.Errorf("unknown channel %q", it.Channel)}
}

// record writes the outcomes of a round in one transaction, and gives back
// the leases of notifications claimed but not tried. The recipient and the
// payload are never logged: they are personal data.
func (d *Dispatcher) record(ctx context.Context, items []*store.OutboxItem, tried []bool, results []error, st *Stats) error {
	now := d.cfg.Now()
	untried := false
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		var plain []string // delivered, and nothing to erase
		for i, it := range items {
			var err error
			sendErr := results[i]
			switch {
			case !tried[i]:
				untried = true
				continue
			case sendErr == nil:
				if r := redacted(it.Payload); !bytes.Equal(r, it.Payload) {
					err = tx.CompleteOutbox(ctx, it.ID, r, now)
				} else {
					plain = append(plain, it.ID)
				}
			case IsPermanent(sendErr):
				err = tx.FailOutbox(ctx, it.ID, d.cfg.Owner, sendErr.Error(), redacted(it.Payload))
			default:
				err = tx.RetryOutbox(ctx, it.ID, d.cfg.Owner, now.Add(d.backoff(it.Attempts)), sendErr.Error())
			}
			if err != nil {
				return err
			}
		}
		if err := tx.CompleteOutboxMany(ctx, plain, now); err != nil {
			return err
		}
		if untried {
			return tx.ReleaseOutbox(ctx, d.cfg.Owner)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the outcomes of %d attempts: %w", len(items), err)
	}
	for i, it := range items {
		sendErr := results[i]
		switch {
		case !tried[i]:
		case sendErr == nil:
			st.Delivered++
			d.logger.Debug("notify: delivered", "id", it.ID, "channel", it.Channel, "attempts", it.Attempts)
		case IsPermanent(sendErr):
			st.Failed++
			d.logger.Warn("notify: refused for good", "id", it.ID, "channel", it.Channel, "err", logSafe(sendErr))
		default:
			st.Retried++
			d.logger.Info("notify: will retry", "id", it.ID, "channel", it.Channel, "attempts", it.Attempts, "err", logSafe(sendErr))
		}
	}
	if n := st.Delivered; n > 0 {
		d.logger.Info("notify: delivered", "count", n)
	}
	return nil
}

// backoff returns the wait after the given number of attempts: MinBackoff
// doubled for each further attempt, at most MaxBackoff, ±20 % so that many
// notifications failing together do not all return at the same moment.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := d.cfg.MinBackoff
	for i := 1; i < attempts && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.cfg.MaxBackoff)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(b) * jitter)
}

// logSafe shortens an error for the log: a server's reply is reduced to its
// code (replies often quote the recipient's address), and any word with an
// "@" is dropped.
func logSafe(err error) string {
	var te *textproto.Error
	if errors.As(err, &te) {
		return "server replied " + strconv.Itoa(te.Code)
	}
	words := strings.Fields(err.Error())
	for i, w := range words {
		if strings.Contains(w, "@") {
			words[i] = "[address]"
		}
	}
	return strings.Join(words, " ")
}
