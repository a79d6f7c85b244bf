;; A tour of Slight: run it with `cargo run --release -- run examples/programs/hello.sl`.

(defun fib (n)
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

(print "fib(25) =" (fib 25))

;; Closures capture variables, not copies: a counter counts.
(defun make-counter ()
  (let ((n 0))
    (fun () (set! n (+ n 1)))))
(def tick (make-counter))
(tick) (tick)
(print "counter:" (tick))

;; Proper tail calls: a million-step loop runs in constant stack.
(defun count (i acc) (if (== i 0) acc (count (- i 1) (+ acc i))))
(print "sum 1..1000000 =" (count 1000000 0))

;; Macros with quasiquote run before the code is compiled.
(defmacro swap! (a b)
  (let ((tmp (gensym)))
    `(let ((,tmp ,a)) (set! ,a ,b) (set! ,b ,tmp))))
(def x 1)
(def y 2)
(swap! x y)
(print "swapped:" x y)

;; Pattern matching with destructuring and guards.
(defun describe (v)
  (match v
    ((list) "empty")
    ((x . rest) :when (> (list/length rest) 1) (string/concat "long list starting with " x))
    ((list a b) (string/concat "pair " a " " b))
    (_ "something else")))
(print (describe (list 1 2 3)) "/" (describe (list 1 2)) "/" (describe 42))

;; Errors are values with a type and a message.
(print "caught:"
  (try (/ 1 0)
    (catch e (string/concat (error/type e) ": " (error/message e)))))

;; Deep non-tail recursion is a catchable error, not a crash.
(defun depth (n) (+ 1 (depth n)))
(print "deep:" (try (depth 0) (catch e (error/message e))))

;; eval sees and may change the enclosing function's locals.
(defun bump (x) (eval '(set! x (* x 10))) x)
(print "eval:" (bump 4))
