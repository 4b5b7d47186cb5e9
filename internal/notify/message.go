package notify

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"parley/internal/msg"
)

// The e-mails and text messages are in the message catalogue (package
// msg, area notify), in the language of the inquiry: notify.email.<kind>.
// subject and .body, notify.sms.<kind>. They say that there is news and
// where to read it, never what the news is.

// params are a notification's values for its texts, shown as given.
func params(n Notification, statusURL string) []any {
	return []any{"reference", msg.Raw(n.Reference), "url", msg.Raw(statusURL), "secret", msg.Raw(n.Secret)}
}

// checkKind refuses a notification that has no texts or lacks what its
// texts need.
func checkKind(n Notification, what string) error {
	if n.Kind != KindNews && n.Kind != KindNewSecret {
		return fmt.Errorf("no %s for notifications of kind %q", what, n.Kind)
	}
	if n.Kind == KindNewSecret && n.Secret == "" {
		return fmt.Errorf("a new-secret notification without its secret")
	}
	return nil
}

// Render returns the subject and text of the e-mail for a notification, in
// its language (English when unknown).
func Render(n Notification, statusURL string) (subject, body string, err error) {
	if err := checkKind(n, "e-mail text"); err != nil {
		return "", "", err
	}
	lang, kv := msg.Pick(n.Lang), params(n, statusURL)
	code := "notify.email." + string(n.Kind)
	return msg.Text(lang, msg.New(code+".subject", kv...)), msg.Text(lang, msg.New(code+".body", kv...)), nil
}

// buildMessage writes an RFC 5322 message with a UTF-8 text body in
// quoted-printable. messageID is stable across attempts (see the package
// documentation).
func buildMessage(from mail.Address, to, subject, body, messageID string, date time.Time) ([]byte, error) {
	for _, v := range []string{to, subject, messageID} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("header value with a line break")
		}
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from.String())
	h("To", to)
	h("Subject", mime.BEncoding.Encode("utf-8", subject))
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", messageID)
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: an automatic message; auto-responders must not answer.
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// messageID returns the Message-ID of an outbox item: its id at the
// sender's domain.
func messageID(id, from string) string {
	domain := "parley.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	return "<" + id + "@" + domain + ">"
}
