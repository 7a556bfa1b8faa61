package gateway

import "time"

// SetAnswerWriteTimeout sets how long a client has to take a JSON answer,
// for a test, and returns what puts it back.
func SetAnswerWriteTimeout(d time.Duration) (restore func()) {
	old := answerWriteTimeout
	answerWriteTimeout = d
	return func() { answerWriteTimeout = old }
}
