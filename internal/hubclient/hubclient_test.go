package hubclient

import (
	"errors"
	"testing"
)

// TestStatusError: what a node does with an answer depends on its kind —
// keep the statement queued (unreachable, or a key not trusted yet) or
// mark it refused for good.
func TestStatusError(t *testing.T) {
	cases := []struct {
		status      int
		body        string
		unreachable bool
		final       bool
		code        string
	}{
		{201, `{}`, false, false, ""},
		{401, `{"code":"signature_invalid","message":"m"}`, false, false, "signature_invalid"},
		{403, `{"code":"statement_unsigned","message":"m"}`, false, true, "statement_unsigned"},
		{422, `not json`, false, true, "422"},
		{429, ``, false, false, "429"},
		{502, `bad gateway`, true, false, ""},
		{503, ``, true, false, ""},
	}
	for _, c := range cases {
		err := statusError("POST", "/hub/v1/statements", c.status, []byte(c.body))
		if c.status < 300 {
			if err != nil {
				t.Errorf("%d: %v", c.status, err)
			}
			continue
		}
		if errors.Is(err, ErrUnreachable) != c.unreachable {
			t.Errorf("%d: unreachable = %v", c.status, errors.Is(err, ErrUnreachable))
		}
		var re *RefusedError
		if errors.As(err, &re) {
			if re.Final() != c.final || re.Code != c.code {
				t.Errorf("%d: final %v code %q", c.status, re.Final(), re.Code)
			}
		} else if !c.unreachable {
			t.Errorf("%d: %v is not a refusal", c.status, err)
		}
	}
	if _, err := New("ftp://hub", "", nil); err == nil {
		t.Error("a non-HTTP hub address was accepted")
	}
}
