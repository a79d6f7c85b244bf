; timer/timeout and timer/interval callbacks run after the top-level forms, in due order;
; an interval repeats until cleared; timer/clear cancels and says whether it was pending.
(def log ())
(defun note (x) (set! log (cons x log)))
(timer/timeout (fun () (print "third (30 ms)")) 30)
(timer/timeout (fun () (print "first (0 ms)")) 0)
(def cancelled (timer/timeout (fun () (print "never")) 5))
(timer/clear cancelled)
(timer/clear cancelled)
(def ticks 0)
(def iv (timer/interval
          (fun ()
            (set! ticks (+ ticks 1))
            (print "tick" ticks)
            (when (== ticks 3) (timer/clear iv)))
          10))
; the other argument order works too
(timer/timeout 20 (fun () (print "second-ish (20 ms)")))
(print "top level done")
(timer/timeout (fun () 1) -5)
(timer/timeout 5 6)
