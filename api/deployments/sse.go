package deployments

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxEventSize bounds one server-sent event's data (1 MiB): a longer event
// is an error, so a reader's memory stays bounded whatever the peer sends.
const MaxEventSize = 1 << 20

// ErrEventTooLarge is returned by ReadEvents for an event over MaxEventSize.
var ErrEventTooLarge = errors.New("server-sent event larger than 1 MiB")

// Done is the data of OpenAI's last event, "data: [DONE]".
var Done = []byte("[DONE]")

// ReadEvents reads a text/event-stream body and calls fn with each event's
// data (the "data:" lines joined by "\n"; events without data are
// skipped), until the body ends, fn returns an error, or the body breaks.
// The slice passed to fn is valid only during the call. "[DONE]" is passed
// like any other data: callers decide.
func ReadEvents(r io.Reader, fn func(data []byte) error) error {
	br := bufio.NewReaderSize(r, 16<<10)
	var data []byte
	has := false
	flush := func() error {
		if !has {
			return nil
		}
		err := fn(data)
		data, has = data[:0], false
		return err
	}
	for {
		line, err := readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return flush()
			}
			return err
		}
		if len(line) == 0 {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		if string(field) != "data" {
			continue // comments, event:, id:, retry:
		}
		if has {
			data = append(data, '\n')
		}
		if len(data)+len(value) > MaxEventSize {
			return ErrEventTooLarge
		}
		data = append(data, value...)
		has = true
	}
}

// readLine returns one line without its "\n" or "\r\n", bounded by
// MaxEventSize. At the end of the body it returns the last unterminated
// line, then io.EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		frag, err := br.ReadSlice('\n')
		if err == nil || errors.Is(err, io.EOF) {
			if long != nil {
				frag = append(long, frag...)
			}
			if errors.Is(err, io.EOF) && len(frag) == 0 {
				return nil, io.EOF
			}
			frag = bytes.TrimSuffix(frag, []byte("\n"))
			frag = bytes.TrimSuffix(frag, []byte("\r"))
			return frag, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("reading the event stream: %w", err)
		}
		if len(long)+len(frag) > MaxEventSize+16 {
			return nil, ErrEventTooLarge
		}
		long = append(long, frag...)
	}
}
