package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"parley/internal/access"
	"parley/internal/service"
)

// TestMessage: an error that carries a message is given in the reader's
// language with its code; the kinds without one get the catalogue's
// phrase for their status outside English; a not-found error says no
// more than "not found" in any language.
func TestMessage(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		lang       string
		status     int
		code, text string
	}{
		{"coded, uk", fmt.Errorf("create user: %w", service.Invalid("user.officer_needs_party")), "uk", http.StatusUnprocessableEntity, "user.officer_needs_party", "офіцер має бути прив’язаний до сторони"},
		{"coded, en", service.Invalid("user.officer_needs_party"), "en", http.StatusUnprocessableEntity, "user.officer_needs_party", "an officer must be bound to a party"},
		{"forbidden with a reason, ru", access.Forbid("deny.manage_users"), "ru", http.StatusForbidden, "deny.manage_users", "управляют пользователями только администраторы"},
		{"forbidden with a reason, en", access.Forbid("deny.manage_users"), "en", http.StatusForbidden, "deny.manage_users", "only administrators manage users"},
		{"uncoded forbidden, ru", fmt.Errorf("%w: no", access.ErrForbidden), "ru", http.StatusForbidden, "error.forbidden", "вам это не разрешено"},
		{"coded forbidden", access.Forbid("error.forbidden"), "uk", http.StatusForbidden, "error.forbidden", "вам це не дозволено"},
		{"not found hides the record", fmt.Errorf("list L123: %w", service.NotFoundMsg("list.no_title")), "uk", http.StatusNotFound, "error.not_found", "не знайдено"},
		{"internal", errors.New("disk full"), "ru", http.StatusInternalServerError, "error.internal", "внутренняя ошибка"},
	}
	for _, tt := range tests {
		status, code, text, _ := Message(tt.err, tt.lang)
		if status != tt.status || code != tt.code || text != tt.text {
			t.Errorf("%s: Message = %d, %q, %q; want %d, %q, %q", tt.name, status, code, text, tt.status, tt.code, tt.text)
		}
	}
}
