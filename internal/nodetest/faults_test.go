package nodetest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHubKilledMidSubmission kills the hub with SIGKILL while A submits a
// hand-over: once before the hub has seen the request, and once after the
// hub committed it but before A heard the answer (the case in which a
// naive sender would submit it twice). A's hand-over stays queued in its
// outbox; after the hub's restart A's node delivers it by itself, the hub
// logs it exactly once, B receives the list, and both mirrors verify.
func TestHubKilledMidSubmission(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := newCluster(t, b)
		tests := []struct {
			name string
			// forward: the proxy passes the submission to the hub (which
			// commits it) before the hub is killed.
			forward bool
		}{
			{"before the hub sees it", false},
			{"after the hub committed it", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				killed := make(chan struct{})
				var fired atomic.Bool
				c.proxy["A"].setHook(func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method != http.MethodPost || r.URL.Path != "/hub/v1/statements" || !fired.CompareAndSwap(false, true) {
						return false
					}
					if tt.forward {
						body, _ := io.ReadAll(r.Body)
						req, _ := http.NewRequest(r.Method, c.hub.URL()+r.URL.RequestURI(), bytes.NewReader(body))
						req.Header = r.Header.Clone()
						req.Host = r.Host
						if resp, err := http.DefaultClient.Do(req); err == nil {
							_, _ = io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
						}
					}
					c.hub.kill()
					close(killed)
					http.Error(w, "hub gone", http.StatusBadGateway)
					return true
				})
				l := c.a.importList(testdata(t, "neg-list-A.csv"), "B", "Stage "+tt.name)
				code, out, errOut := c.a.try("list", "handover", l)
				<-killed
				c.proxy["A"].setHook(nil)
				if code != 0 || !strings.Contains(out+errOut, "queued") {
					t.Errorf("hand-over with the hub gone: exit %d, %q %q; want success, queued", code, out, errOut)
				}
				if st, _ := c.a.status(); st.Queued != 1 {
					t.Errorf("A's queue while the hub is down: %s", st)
				}
				c.restartHub()
				waitFor(t, 2*time.Minute, "A's queue drains", func() (bool, string) {
					st, _ := c.a.status()
					return st.Queued == 0, st.String()
				})
				waitFor(t, 2*time.Minute, "B holds "+l, func() (bool, string) {
					_, ok := c.b.showList(l)
					return ok, "not yet"
				})
				if e := c.hub.logEntries("list.handed_over", l); len(e) != 1 {
					t.Errorf("the hub logged the hand-over of %s %d times, want once", l, len(e))
				}
				if n := c.hub.count("SELECT COUNT(*) FROM hub_statements WHERE subject = ?", l); n != 1 {
					t.Errorf("the hub holds %d statements about %s, want 1", n, l)
				}
				if n := c.hub.count("SELECT COUNT(*) FROM lists WHERE id = ?", l); n != 1 {
					t.Errorf("the hub holds %d copies of %s", n, l)
				}
				c.waitSynced()
			})
		}
	})
}
