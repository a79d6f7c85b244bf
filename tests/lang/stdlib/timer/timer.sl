; timer/: sleep blocks the calling thread; now is an extension. Timeouts and intervals are
; tested in timeouts.sl.
(timer/sleep 0)
(timer/sleep 1)
(timer/sleep 0.5)
(timer/sleep -0.0)
(let ((t0 (timer/now)))
  (timer/sleep 20)
  (>= (- (timer/now) t0) 19))

; now: milliseconds since the Unix epoch, a float
(type/of (timer/now))
(> (timer/now) 1.6e12)
(<= (timer/now) (timer/now))

; bad durations
(timer/sleep -1)
(timer/sleep -0.001)
(timer/sleep (/ 0.0 0.0))
(timer/sleep (/ 1.0 0.0))
(timer/sleep 1e300)
(timer/sleep "10")
(timer/sleep nil)
(timer/sleep)
(timer/sleep 1 2)
(timer/now 1)

; not available yet
(timer/timeout 10)
(timer/clear)
(timer/clear :x)
