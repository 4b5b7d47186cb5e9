package notify

import (
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
	// BatchSize is how many due notifications one round takes; default 20.
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
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Dispatcher delivers the outbox. Several dispatchers, in one process or
// several, may run against one database.
type Dispatcher struct {
	db     *store.DB
	mail   *SMTPSender
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
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 20
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

// Stats counts what one round did.
type Stats struct {
	Delivered, Retried, Failed int
}

// Run delivers notifications until ctx ends: at once when a transaction of
// this process enqueues one, when the earliest retry falls due, and every
// PollInterval. On return the attempt in progress has finished and been
// recorded, and the leases of notifications not yet tried are released.
func (d *Dispatcher) Run(ctx context.Context) error {
	wake := subscribe()
	defer unsubscribe(wake)
	defer func() {
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
		if ctx.Err() != nil {
			return nil
		}
		if st.Delivered+st.Retried+st.Failed >= d.cfg.BatchSize {
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

// RunOnce tries every notification due now, once, and returns what
// happened. It stops claiming new ones when ctx ends, but an attempt in
// progress is finished and recorded.
func (d *Dispatcher) RunOnce(ctx context.Context) (Stats, error) {
	var st Stats
	var due []string
	if err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		due, err = tx.DueOutbox(ctx, d.cfg.Now(), d.cfg.BatchSize)
		return err
	}); err != nil {
		return st, err
	}
	for _, id := range due {
		if ctx.Err() != nil {
			break
		}
		var it *store.OutboxItem
		var ok bool
		now := d.cfg.Now()
		if err := d.db.Update(ctx, func(tx *store.Tx) (err error) {
			it, ok, err = tx.LeaseOutbox(ctx, id, d.cfg.Owner, now, now.Add(d.cfg.Lease))
			return err
		}); err != nil {
			return st, err
		}
		if !ok {
			continue // another dispatcher took it
		}
		// From here on the attempt runs to its end even if ctx is
		// cancelled: abandoning it half-way is what could deliver a
		// message without recording it.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Lease)
		err := d.deliver(actx, it)
		rerr := d.record(actx, it, err, &st)
		cancel()
		if rerr != nil {
			return st, rerr
		}
	}
	return st, nil
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

// record writes the outcome of an attempt. The recipient and the payload
// are never logged: they are personal data.
func (d *Dispatcher) record(ctx context.Context, it *store.OutboxItem, sendErr error, st *Stats) error {
	now := d.cfg.Now()
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		switch {
		case sendErr == nil:
			return tx.CompleteOutbox(ctx, it.ID, redacted(it.Payload), now)
		case IsPermanent(sendErr):
			return tx.FailOutbox(ctx, it.ID, d.cfg.Owner, sendErr.Error(), redacted(it.Payload))
		default:
			return tx.RetryOutbox(ctx, it.ID, d.cfg.Owner, now.Add(d.backoff(it.Attempts)), sendErr.Error())
		}
	})
	if err != nil {
		return fmt.Errorf("record attempt of %s: %w", it.ID, err)
	}
	switch {
	case sendErr == nil:
		st.Delivered++
		d.logger.Info("notify: delivered", "id", it.ID, "channel", it.Channel, "attempts", it.Attempts)
	case IsPermanent(sendErr):
		st.Failed++
		d.logger.Warn("notify: refused for good", "id", it.ID, "channel", it.Channel, "err", logSafe(sendErr))
	default:
		st.Retried++
		d.logger.Info("notify: will retry", "id", it.ID, "channel", it.Channel, "attempts", it.Attempts, "err", logSafe(sendErr))
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
