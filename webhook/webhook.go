package webhook

// Status says whether a webhook is delivered to.
type Status string

// The statuses.
const (
	Active   Status = "ACTIVE"
	Disabled Status = "DISABLED"
)

// ParseStatus reads "ACTIVE" or "DISABLED" (any case).
func ParseStatus(s string) (Status, error) {
	switch Status(upper(s)) {
	case Active:
		return Active, nil
	case Disabled:
		return Disabled, nil
	}
	return "", invalid("Invalid webhook status: '%s'. Valid statuses are: ACTIVE, DISABLED", s)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Webhook is one registered webhook. Secret is the plain secret; stores
// keep it sealed with a Cipher.
type Webhook struct {
	ID                   string
	Name                 string
	Description          string
	URL                  string
	Events               []Event
	Status               Status
	Secret               string
	CreationTimestamp    int64 // ms
	LastUpdatedTimestamp int64 // ms
}

// Listens reports whether w is active and subscribed to ev.
func (w *Webhook) Listens(ev Event) bool {
	if w.Status != Active {
		return false
	}
	for _, e := range w.Events {
		if e == ev {
			return true
		}
	}
	return false
}

// Limits on a webhook's fields.
const (
	MaxNameLength        = 256
	MaxURLLength         = 2048
	MaxDescriptionLength = 1000
	MaxSecretLength      = 1000
)

// ValidateName checks a webhook's name: not empty, at most MaxNameLength.
func ValidateName(name string) error {
	if name == "" {
		return invalid("Webhook name cannot be empty.")
	}
	if len(name) > MaxNameLength {
		return invalid("Webhook name exceeds the maximum length of %d characters.", MaxNameLength)
	}
	return nil
}

// ValidateEvents checks that a webhook listens to at least one event.
func ValidateEvents(evs []Event) error {
	if len(evs) == 0 {
		return invalid("Webhook events cannot be empty.")
	}
	return nil
}

// Update is a partial change of a webhook: nil fields stay as they are.
// Secret, when set, is already sealed.
type Update struct {
	Name        *string
	Description *string
	URL         *string
	Events      []Event // nil: unchanged
	Status      *Status
	Secret      *string
}
