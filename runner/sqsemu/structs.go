package sqsemu

import "time"

// deque is a ring buffer of messages: O(1) at both ends, no per-push
// allocation once warm.
type deque struct {
	buf        []*message
	head, size int
}

func (d *deque) len() int { return d.size }

func (d *deque) grow() {
	n := len(d.buf) * 2
	if n == 0 {
		n = 16
	}
	buf := make([]*message, n)
	for i := 0; i < d.size; i++ {
		buf[i] = d.buf[(d.head+i)%len(d.buf)]
	}
	d.buf, d.head = buf, 0
}

func (d *deque) pushBack(m *message) {
	if d.size == len(d.buf) {
		d.grow()
	}
	d.buf[(d.head+d.size)%len(d.buf)] = m
	d.size++
}

func (d *deque) popFront() *message {
	if d.size == 0 {
		return nil
	}
	m := d.buf[d.head]
	d.buf[d.head] = nil
	d.head = (d.head + 1) % len(d.buf)
	d.size--
	return m
}

func (d *deque) reset() { *d = deque{} }

// deadlineHeap orders messages by the time they next change state
// (visibleAt): in-flight messages by the end of their visibility
// timeout, delayed messages by the end of their delay. It is written out
// rather than using container/heap to avoid interface boxing on the hot
// path.
type deadlineHeap []*message

func (h deadlineHeap) less(i, j int) bool { return h[i].visibleAt.Before(h[j].visibleAt) }

func (h deadlineHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex = i
	h[j].heapIndex = j
}

func (h *deadlineHeap) push(m *message) {
	m.heapIndex = len(*h)
	*h = append(*h, m)
	h.up(m.heapIndex)
}

func (h deadlineHeap) top() *message {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

func (h deadlineHeap) nextAt() time.Time {
	if len(h) == 0 {
		return time.Time{}
	}
	return h[0].visibleAt
}

func (h *deadlineHeap) remove(m *message) {
	i := m.heapIndex
	old := *h
	n := len(old) - 1
	if i < 0 || i > n || old[i] != m {
		return
	}
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
	m.heapIndex = -1
}

// fix restores order after m.visibleAt changed.
func (h deadlineHeap) fix(m *message) {
	if !h.down(m.heapIndex) {
		h.up(m.heapIndex)
	}
}

func (h deadlineHeap) up(j int) {
	for {
		i := (j - 1) / 2
		if i == j || !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h deadlineHeap) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1
		if j2 := j1 + 1; j2 < n && h.less(j2, j1) {
			j = j2
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
