package notify

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// texts are the e-mails in the languages families are answered in. They say
// that there is news and where to read it, never what the news is.
var texts = map[string]map[Kind][2]string{
	"en": {
		KindNews: {
			"News about your inquiry %[1]s",
			"There is news about your inquiry %[1]s.\n\n" +
				"To read it, open %[2]s and enter your reference and the secret you received when you registered the inquiry.\n\n" +
				"This message was sent automatically; please do not reply to it. It holds no news itself, so that only you can read the news.\n",
		},
		KindNewSecret: {
			"A new secret for your inquiry %[1]s",
			"A new secret was asked for your inquiry %[1]s.\n\n" +
				"Your new secret: %[3]s\n\n" +
				"Keep it safe. Your old secret stays valid until you use the new one at %[2]s. If you did not ask for a new secret, you can ignore this message.\n",
		},
	},
	"uk": {
		KindNews: {
			"Новини щодо вашого запиту %[1]s",
			"Є новини щодо вашого запиту %[1]s.\n\n" +
				"Щоб їх прочитати, відкрийте %[2]s і введіть номер запиту та секретний код, який ви отримали під час реєстрації запиту.\n\n" +
				"Цей лист надіслано автоматично, будь ласка, не відповідайте на нього. Сам лист не містить новин, щоб їх могли прочитати лише ви.\n",
		},
		KindNewSecret: {
			"Новий секретний код для вашого запиту %[1]s",
			"Для вашого запиту %[1]s було запитано новий секретний код.\n\n" +
				"Ваш новий секретний код: %[3]s\n\n" +
				"Зберігайте його надійно. Старий код діє, доки ви не скористаєтеся новим на %[2]s. Якщо ви не запитували новий код, просто не зважайте на цей лист.\n",
		},
	},
	"ru": {
		KindNews: {
			"Новости по вашему запросу %[1]s",
			"Есть новости по вашему запросу %[1]s.\n\n" +
				"Чтобы их прочитать, откройте %[2]s и введите номер запроса и секретный код, полученный при регистрации запроса.\n\n" +
				"Это письмо отправлено автоматически, пожалуйста, не отвечайте на него. Само письмо не содержит новостей, чтобы их могли прочитать только вы.\n",
		},
		KindNewSecret: {
			"Новый секретный код для вашего запроса %[1]s",
			"Для вашего запроса %[1]s был запрошен новый секретный код.\n\n" +
				"Ваш новый секретный код: %[3]s\n\n" +
				"Храните его надёжно. Старый код действует, пока вы не воспользуетесь новым на %[2]s. Если вы не запрашивали новый код, просто не обращайте внимания на это письмо.\n",
		},
	},
}

// Render returns the subject and text of the e-mail for a notification, in
// its language (English when unknown).
func Render(n Notification, statusURL string) (subject, body string, err error) {
	lang, ok := texts[n.Lang]
	if !ok {
		lang = texts["en"]
	}
	t, ok := lang[n.Kind]
	if !ok {
		return "", "", fmt.Errorf("no e-mail text for notifications of kind %q", n.Kind)
	}
	if n.Kind == KindNewSecret && n.Secret == "" {
		return "", "", fmt.Errorf("a new-secret notification without its secret")
	}
	return fmt.Sprintf(t[0], n.Reference), fmt.Sprintf(t[1], n.Reference, statusURL, n.Secret), nil
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
