package person

import (
	"encoding/json"
	"testing"
)

// TestDateUnmarshalJSON: the plain form MarshalJSON writes and the forms
// only a JSON decoder reads (escapes, null) give the same dates; what is
// not a date string is refused.
func TestDateUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{in: `"1997-12-29"`, want: Date{Year: 1997, Month: 12, Day: 29}},
		{in: `"1997-12"`, want: Date{Year: 1997, Month: 12}},
		{in: `"1997"`, want: Date{Year: 1997}},
		{in: `""`, want: Date{}},
		{in: `null`, want: Date{}},
		{in: `"\u0031997-12-29"`, want: Date{Year: 1997, Month: 12, Day: 29}},
		{in: `"19x7"`, wantErr: true},
		{in: `1997`, wantErr: true},
		{in: `"1997-12-29`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Date
			err := d.UnmarshalJSON([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("UnmarshalJSON(%s): err %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && d != tt.want {
				t.Errorf("UnmarshalJSON(%s) = %+v, want %+v", tt.in, d, tt.want)
			}
		})
	}
	// A date inside a record reads back as it was written.
	type rec struct{ Birth Date }
	b, err := json.Marshal(rec{Birth: Date{Year: 1972, Month: 9, Day: 11}})
	if err != nil {
		t.Fatal(err)
	}
	var back rec
	if err := json.Unmarshal(b, &back); err != nil || back.Birth != (Date{Year: 1972, Month: 9, Day: 11}) {
		t.Errorf("round trip of %s: %+v, %v", b, back, err)
	}
}
