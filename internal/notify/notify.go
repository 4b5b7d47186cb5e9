// Package notify tells families that there is news about their inquiry,
// by e-mail (SMTP), by SMS (an HTTP gateway, see SMSSender) and by
// webhook, through a transactional outbox.
//
// # Delivery guarantees
//
// A notification is written to the outbox table in the same database
// transaction as the status change it announces (Enqueue): both commit or
// neither does, so a change is never announced without happening and never
// happens unannounced. A Dispatcher delivers pending notifications, with
// retries and exponential backoff. It leases each notification before
// trying it, so that two dispatchers never try the same one at once, and
// marks it delivered only after the receiving server has accepted it (the
// SMTP server's reply to the end of DATA, a 2xx answer of the webhook). An
// unreachable server, a crash or a restart therefore delays a
// notification; they never lose it.
//
// Delivery is at least once. One edge remains: when the server has accepted
// a message but its answer never arrives (the connection breaks after the
// final "." of DATA, or the process dies between the answer and the
// database update), the dispatcher cannot know and sends again. Every
// notification carries a stable identity for that case: the outbox id is
// the idempotency key, sent as the e-mail's Message-ID
// (<id@sender-domain>) and as the Idempotency-Key header (and "id") of the
// SMS gateway's and the webhook's requests, and it is the same on every
// attempt. Mail systems and readers that collapse messages by Message-ID
// show the duplicate once; the SMS gateway sends no second text for an id
// it has taken (it answers 409, which counts as delivered), so a phone
// rings once; a webhook receiver must ignore a key it has seen.
//
// # Throughput
//
// A dispatcher claims a round of due notifications in one statement,
// delivers them on a bounded pool of workers (Config.Workers), keeps SMTP
// connections open between messages, and records the round's outcomes in
// one transaction, so that the news of a whole stage — a thousand families
// or more — leaves within seconds (bench/notify measures it). A graceful stop (cancelling Run's context)
// finishes the attempt in progress and records its result, so that only a
// crash or a lost answer can cause a duplicate.
//
// # Content
//
// A notification says only that there is news and how to read it: the
// reference (which the family already holds) and the address of the status
// page. The status itself is never in an e-mail; a webhook carries it only
// when the family asked for it. A replacement secret that a family asked
// for is in the notification until it is delivered, and then erased from
// the outbox.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"

	"parley/internal/store"
)

// Channel is how a notification travels.
type Channel string

// Channels.
const (
	Email   Channel = "email"
	SMS     Channel = "sms"
	Webhook Channel = "webhook"
)

// Kind is what a notification announces.
type Kind string

// Kinds of notification.
const (
	// KindNews: the status of the inquiry has changed.
	KindNews Kind = "news"
	// KindNewSecret: a replacement secret, asked for by someone who knew
	// the reference, sent to the contact registered with the inquiry.
	KindNewSecret Kind = "new_secret"
)

// Notification is what the outbox keeps for one message.
type Notification struct {
	Kind      Kind   `json:"kind"`
	Reference string `json:"reference"`
	Lang      string `json:"lang,omitempty"`
	// Status and Date go into webhook calls for families who asked for
	// them; never into e-mail.
	Status string `json:"status,omitempty"`
	Date   string `json:"date,omitempty"`
	// Secret is set for KindNewSecret only and erased after delivery.
	Secret string `json:"secret,omitempty"`
}

// Enqueue writes a notification into the outbox within the caller's
// transaction and returns its id (the idempotency key). Dispatchers of this
// process are woken when the transaction commits.
func Enqueue(ctx context.Context, tx *store.Tx, ch Channel, recipient string, n Notification) (string, error) {
	if ch != Email && ch != SMS && ch != Webhook {
		return "", fmt.Errorf("unknown channel %q", ch)
	}
	if recipient == "" {
		return "", fmt.Errorf("a %s notification needs a recipient", ch)
	}
	b, err := json.Marshal(n)
	if err != nil {
		return "", fmt.Errorf("encode notification: %w", err)
	}
	id := "ntf-" + rand.Text()
	if err := tx.EnqueueOutbox(ctx, &store.OutboxItem{ID: id, Channel: string(ch), Recipient: recipient, Payload: b}); err != nil {
		return "", err
	}
	tx.AfterCommit(wakeAll)
	return id, nil
}

// redacted returns the payload to keep after delivery: everything but a
// secret.
func redacted(payload []byte) []byte {
	var n Notification
	if err := json.Unmarshal(payload, &n); err != nil {
		return []byte(`{}`)
	}
	if n.Secret == "" {
		return payload
	}
	n.Secret = ""
	b, _ := json.Marshal(n)
	return b
}

// The dispatchers of this process, woken when a transaction that enqueued
// a notification commits. Dispatchers of other processes find the
// notification at their next poll.
var (
	wakeMu  sync.Mutex
	wakeSet = map[chan struct{}]struct{}{}
)

func wakeAll() {
	wakeMu.Lock()
	defer wakeMu.Unlock()
	for ch := range wakeSet {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func subscribe() chan struct{} {
	ch := make(chan struct{}, 1)
	wakeMu.Lock()
	wakeSet[ch] = struct{}{}
	wakeMu.Unlock()
	return ch
}

func unsubscribe(ch chan struct{}) {
	wakeMu.Lock()
	delete(wakeSet, ch)
	wakeMu.Unlock()
}
