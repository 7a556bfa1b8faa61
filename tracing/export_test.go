package tracing

// PendingForTest is the number of calls waiting for b's next write.
func PendingForTest(b *Batcher) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}
