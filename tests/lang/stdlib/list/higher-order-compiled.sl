; list/map, list/filter and list/reduce are prelude functions written in Slight. Compiled
; code calls its own compiled copy of them while their globals hold the prelude's functions:
; results, errors and positions must be those of the VM's.
(list/map (fun (x) (* x 10)) (list 1 2 3))
(list/filter (fun (x) (> x 1)) (list 1 2 3))
(list/reduce (fun (acc x) (+ acc x)) 0 (list 1 2 3))
(defun total (xs) (+ 0 (list/reduce (fun (acc x) (+ acc x)) 0 xs)))
(defun evens (xs) (list/filter (fun (x) (== 0 (- x (* 2 (/ x 2))))) xs))
(defun squares (xs) (list/map (fun (x) (* x x)) xs))
(total (list 1 2 3 4))
(squares (list 1 2 3))
(total (squares (list 1 2 3)))
(list/length (squares (list/range 0 100000)))
; errors inside the prelude point at the user's call
(try (total 5) (catch e (error/message e)))
(try (squares "abc") (catch e (error/message e)))
(try (list/map (fun (x) (+ x "a")) (list 1)) (catch e (error/message e)))
(try (list/map (fun (a b) a) (list 1)) (catch e (error/message e)))
(try (list/reduce 7 0 (list 1)) (catch e (error/message e)))
; redefined at run time: compiled callers use the new definition
(defun doubled (xs) (list (list/map (fun (x) (* 2 x)) xs)))
(doubled (list 1 2))
(eval '(defun list/map (f xs) :mine))
(doubled (list 1 2))
(squares (list 1 2 3))
(list/map (fun (x) x) (list 1))
(defun sum-all (xs) (list/reduce (fun (acc x) (+ acc x)) 0 xs))
(sum-all (list 5 6))
(+ 1 (total 5))
