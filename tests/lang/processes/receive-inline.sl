; receive in spawned processes (the VM runs these inline: no predicate call per message).
(def me (self))

; selective receive in a paused process: non-matching messages stay queued, in order
(def sorter
  (spawn (fun ()
    (let ((b (receive ((:b x) x)))
          (a (receive ((:a x) x))))
      (send me (list :first b a))
      (send me (list :rest (receive (m m)) (receive (m m))))))))
(send sorter '(:c 3))
(send sorter '(:a 1))
(send sorter :noise)
(send sorter '(:b 2))
(receive ((:first b a) (list b a)))
(receive ((:rest x y) (list x y)))

; patterns: literals, nested lists, rest patterns, wildcards; bindings reach the body
(def shapes
  (spawn (fun ()
    (loop ((acc '()))
      (receive
        (:done (send me (list/reverse acc)))
        ((:pair a b) (recur (cons (+ a b) acc)))
        ((:many first . rest) (recur (cons (list first (list/length rest)) acc)))
        ((_ (x y)) (recur (cons (* x y) acc)))
        (other (recur (cons (list :other other) acc))))))))
(send shapes '(:pair 1 2))
(send shapes '(:many 7 8 9))
(send shapes '(:tag (3 4)))
(send shapes "text")
(send shapes :done)
(receive (res res))

; a receive nested in a clause body, and a tail-recursive server loop
(defun server (n)
  (receive
    ((:add k) (server (+ n k)))
    ((:ask from)
     (send from (list :value n))
     (receive
       ((:reset v) (server v))
       (:keep (server n))))
    (:stop (send me (list :stopped n)))))
(def s (spawn server 0))
(send s '(:add 5))
(send s '(:add 6))
(send s (list :ask me))
(receive ((:value v) v))
(send s '(:reset 100))
(send s '(:add 1))
(send s (list :ask me))
(receive ((:value v) v))
(send s :keep)
(send s :stop)
(receive ((:stopped n) n))

; after: 0 with only non-matching messages queued, then a real timeout in a spawned process
(def waiter
  (spawn (fun ()
    (send me (list :zero (receive (:wanted 1) (after 0 :timeout))))
    (send me (list :later (receive (:wanted 1) (after 10 :timeout))))
    (send me (list :queued (receive (m m)) (receive (m m)))))))
(send waiter :unwanted-1)
(send waiter :unwanted-2)
(receive ((:zero r) r))
(receive ((:later r) r))
(receive ((:queued a b) (list a b)))

; many non-matching messages before the matching one (the scan is preemptible)
(def scanner
  (spawn (fun ()
    (let ((hit (receive (:last :found))))
      (send me (list hit (loop ((n 0) (sum 0))
                           (if (< n 5000) (receive (k (recur (+ n 1) (+ sum k)))) sum))))))))
(loop ((i 0)) (when (< i 5000) (send scanner i) (recur (+ i 1))))
(send scanner :last)
(receive ((found sum) (list found sum)))

; a kill reaches a process waiting in receive
(def sleeper (spawn (fun () (receive (:never 1)))))
(monitor sleeper)
(kill sleeper)
(receive ((down pid reason) (list (== pid sleeper) reason)))

; an error in a clause body ends the process with that error
(def crasher (spawn (fun () (receive ((:div a b) (/ a b))))))
(monitor crasher)
(send crasher '(:div 1 0))
(receive ((down pid reason) (error/type reason)))

; a linked crash while waiting: trapped, it arrives as a message the receive matches
(def trapper
  (spawn (fun ()
    (trap-exit true)
    (let ((child (spawn-link (fun () (receive (:go (throw "child failed")))))))
      (send child :go)
      (receive ((exit pid reason) (send me (list :trapped (== pid child) (error/message reason)))))))))
(receive ((:trapped same msg) (list same msg)))

; a bad timeout is an error of the receive, caught in the process
(def checker
  (spawn (fun ()
    (send me (try (receive (x x) (after "soon" 0)) (catch e (error/message e))))
    (send me (try (receive (x x) (after -1 0)) (catch e (error/message e)))))))
(receive (m m))
(receive (m m))

; receive inside a callback of a prelude function, and inside a Rust callback (list/sort)
(def mapper
  (spawn (fun ()
    (send me (list/map (fun (k) (receive ((:v n) (* n k)))) '(1 2 3))))))
(send mapper '(:v 10))
(send mapper '(:v 20))
(send mapper '(:v 30))
(receive (r r))
(def sorter2
  (spawn (fun ()
    (send me (list/sort '(3 1 2) (fun (a b) (receive (:cmp (< a b)))))))))
(loop ((i 0)) (when (< i 10) (send sorter2 :cmp) (recur (+ i 1))))
(receive (r r))

; guards: they see the clause's bindings and the enclosing function's variables; a message
; whose guard fails stays queued, in order
(defun take-above (limit)
  (receive
    ((:n k) :when (> k limit) (list :above k))
    ((:n k) :when (== k limit) (list :equal k))
    (:flush :flushed)
    (after 0 :none)))
(def guarded
  (spawn (fun ()
    (receive (:go nil))
    (let ((a (take-above 5)) (b (take-above 5)) (c (take-above 2)) (d (take-above 0)) (e (take-above 100)))
      (send me (list a b c d e (receive (m m))))))))
(send guarded '(:n 1))
(send guarded '(:n 9))
(send guarded '(:n 5))
(send guarded '(:n 0))
(send guarded :flush)
(send guarded :go)
(receive (r r))

; a guard that calls a function long enough to be preempted, while another process runs
(defun slow-even? (n) (loop ((i 0)) (if (< i 5000) (recur (+ i 1)) (== 0 (math/mod n 2)))))
(def evens
  (spawn (fun ()
    (send me (list :even (receive (k :when (slow-even? k) k))
                         (receive (k :when (slow-even? k) k))
                         (receive (k k)))))))
(def ticker (spawn (fun () (loop ((i 0)) (if (< i 3) (begin (send me (list :tick i)) (recur (+ i 1))) :done)))))
(send evens 3)
(send evens 4)
(send evens 6)
(receive ((:even a b c) (list a b c)))
(list (receive ((:tick i) i)) (receive ((:tick i) i)) (receive ((:tick i) i)))

; an error in a guard is an error of the receive; the message stays queued
(def picky
  (spawn (fun ()
    (send me (try (receive (k :when (> k 0) k)) (catch e (list :guard-failed (error/message e)))))
    (send me (list :still-queued (receive (k k)))))))
(send picky :not-a-number)
(receive ((:guard-failed msg) msg))
(receive ((:still-queued k) k))

; the main process (it blocks in place) with guards and a timeout
(send me 1)
(send me 20)
(def limit 10)
(list (receive (k :when (> k limit) (list :big k)) (after 0 :none))
      (receive (k :when (> k limit) (list :big k)) (after 0 :none))
      (receive (k k)))
