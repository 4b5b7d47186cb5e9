package familyweb

import (
	"fmt"
	"net/http"
	"testing"

	"parley/internal/service"
)

// TestServiceErrorStatus: input the service refuses is 422 on the family
// site, as in the workbench; it used to be 400 here.
func TestServiceErrorStatus(t *testing.T) {
	if status, _ := serviceError(fmt.Errorf("%w: bad", service.ErrInvalid)); status != http.StatusUnprocessableEntity {
		t.Errorf("service.ErrInvalid: %d, want 422", status)
	}
	if status, _ := serviceError(fmt.Errorf("%w: decided", service.ErrConflict)); status != http.StatusConflict {
		t.Errorf("service.ErrConflict: %d, want 409", status)
	}
}
