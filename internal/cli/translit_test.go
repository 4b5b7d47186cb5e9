package cli

import "testing"

func TestTranslitCommand(t *testing.T) {
	tests := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"translit", "--system", "ua2010", "Згорани", "Щербухи", "Юрій"}, "Zghorany\nShcherbukhy\nYurii\n", 0},
		{[]string{"translit", "--system", "icao", "ЩУКИН", "Юлия"}, "SHCHUKIN\nIuliia\n", 0},
		{[]string{"translit", "--system", "klingon", "x"}, "", 2},
		{[]string{"translit", "--system", "icao"}, "", 2},
	}
	for _, tt := range tests {
		code, out, _ := run(t, tt.args...)
		if code != tt.code || out != tt.want {
			t.Errorf("%v: exit %d, output %q; want %d, %q", tt.args, code, out, tt.code, tt.want)
		}
	}
}
