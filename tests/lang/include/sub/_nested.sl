; Includes a file relative to its own directory.
(include "_leaf.sl")
(defun nested () (list :nested (leaf)))
