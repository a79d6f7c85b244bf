; Spawn N processes that each tell the main process they are ready and then wait in
; receive (idle). Prints the count, the spawn time and the RSS growth (VmRSS read from
; /proc/self/status before and after), then stops them all.
; Usage: slight run idle.sl N        Expected output (N=1000): "ready 1000" then "stopped 1000"
(def n (json/parse (head (sys/args))))
(def me (self))

(defun rss-kb ()
  (let ((line (list/filter (fun (l) (string/starts-with? l "VmRSS:"))
                           (string/split (fs/read "/proc/self/status") "\n"))))
    (if (empty? line)
        0
        (json/parse (head (list/filter (fun (w) (not (== w "")))
                                       (tail (string/split (head line) " "))))))))

(defun idle ()
  (send me :ready)
  (receive (:stop (send me :stopped))))

(def rss0 (rss-kb))
(def t0 (timer/now))
(def pids (loop ((i 0) (acc '())) (if (< i n) (recur (+ i 1) (cons (spawn idle) acc)) acc)))
(loop ((i 0)) (when (< i n) (receive (:ready nil)) (recur (+ i 1))))
(def t1 (timer/now))
(def rss1 (rss-kb))
(print "ready" (list/length pids))
(print "spawn_ms" (- t1 t0))
(print "rss_before_kb" rss0)
(print "rss_after_kb" rss1)
(loop ((ps pids)) (unless (empty? ps) (send (head ps) :stop) (recur (tail ps))))
(loop ((i 0)) (when (< i n) (receive (:stopped nil)) (recur (+ i 1))))
(print "stopped" n)
(print "total_ms" (- (timer/now) t0))
