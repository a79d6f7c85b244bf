; Strings built by repeated string/concat. The compiled path appends to the accumulator in
; place when nothing else refers to it; none of that may show: a string kept elsewhere, the
; "" constant, arguments, globals all keep their values, and a redefined string/concat is
; called like any function.

; In a loop, and by self tail calls.
(defun build-loop (n)
  (loop ((i 0) (acc ""))
    (if (== i n)
        acc
        (recur (+ i 1) (string/concat acc i ",")))))
(build-loop 5)
(defun build-tail (i n acc)
  (if (== i n)
      acc
      (build-tail (+ i 1) n (string/concat acc "x" i))))
(build-tail 0 4 "")

; The same "" constant starts every build, and a string passed in is not changed.
(list (build-loop 3) (build-loop 2) (build-tail 0 2 "") (build-loop 0))
(def base "base")
(build-tail 0 3 base)
base

; The accumulator also kept elsewhere before the append: another variable, a list, a global,
; a closure.
(defun keep-let (n)
  (loop ((i 0) (acc "s") (seen ()))
    (if (== i n)
        (list acc seen)
        (let ((before acc))
          (recur (+ i 1) (string/concat acc i) (cons before seen))))))
(keep-let 3)
(defun keep-list (n)
  (loop ((i 0) (acc "l") (seen ()))
    (if (== i n)
        (list acc seen)
        (recur (+ i 1) (string/concat acc i) (cons acc seen)))))
(keep-list 3)
(def last-seen nil)
(defun keep-global (n)
  (loop ((i 0) (acc "g"))
    (if (== i n)
        acc
        (do (set! last-seen acc)
            (recur (+ i 1) (string/concat acc i))))))
(keep-global 3)
last-seen
(defun keep-closure (n)
  (loop ((i 0) (acc "c") (fs ()))
    (if (== i n)
        (list acc (list/map (lambda (f) (f)) fs))
        (recur (+ i 1) (string/concat acc i) (cons (lambda () acc) fs)))))
(keep-closure 3)

; Non-string arguments in print form, and accumulators that do not start as strings.
(defun mixed (xs)
  (loop ((xs xs) (acc ""))
    (if (empty? xs)
        acc
        (recur (tail xs) (string/concat acc "|" (head xs))))))
(mixed (list 0 7 -23 4.5 -0.25 1e21 (list 1 "a" :k) nil :kw true false 'sym (map/create :a "x")
             (- -9223372036854775807 1) 9223372036854775807 "é"))
(defun from (start n)
  (loop ((i 0) (acc start))
    (if (== i n) acc (recur (+ i 1) (string/concat acc "+")))))
(list (from 7 2) (from nil 1) (from 1.5 1) (from (list 1 2) 1) (from :k 0))

; Walking a list with match; a string used twice in one argument list; a build inside the
; arguments of another loop's recur.
(defun join (xs)
  (loop ((xs xs) (acc ""))
    (match xs
      (() acc)
      ((x . rest) (recur rest (string/concat acc x " "))))))
(join (list "a" "b" "c"))
(defun doubled (n)
  (loop ((i 0) (acc "d"))
    (if (== i n) acc (recur (+ i 1) (string/concat acc acc)))))
(doubled 3)
(defun reset (n)
  (loop ((i 0) (acc "r"))
    (if (== i n) acc (recur (+ i 1) (string/concat acc (do (set! acc "?") i))))))
(reset 3)
(defun nested (n)
  (loop ((i 0) (acc ""))
    (if (== i n)
        acc
        (recur (+ i 1)
               (loop ((k 0) (s ""))
                 (if (== k 2) s (recur (+ k 1) (string/concat acc s k))))))))
(nested 2)
(defun nested-inner (n)
  (loop ((i 0) (acc "<"))
    (if (== i n)
        acc
        (recur (+ i 1)
               (loop ((k 0) (s acc))
                 (if (== k 2) s (recur (+ k 1) (string/concat s k))))))))
(nested-inner 2)

; An argument after the accumulator raises: the error leaves the loop, or a try inside the
; argument list gives the new value.
(defun bad-arg (n)
  (loop ((i 0) (acc "a"))
    (if (== i n) acc (recur (+ i 1) (string/concat acc (/ 1 (- 2 i)))))))
(bad-arg 2)
(try (bad-arg 5) (catch e e.message))
(defun guarded (n)
  (loop ((i 0) (acc "t"))
    (if (== i n)
        acc
        (recur (+ i 1) (try (string/concat acc (if (== i 1) (throw "skip") i)) (catch e "T"))))))
(guarded 3)

; string/concat redefined: the builds call the new function, then the builtin again.
(def orig-concat string/concat)
(set! string/concat (lambda (a b c) (orig-concat c b a)))
(build-loop 3)
(build-tail 0 2 "")
(def string/concat (lambda (a b) a))
(build-loop 2)
(def string/concat (lambda (a . more) (throw "no concat")))
(try (build-loop 2) (catch e e.message))
(build-tail 0 2 "")
(set! string/concat orig-concat)
(build-loop 3)
(build-tail 0 2 "")
