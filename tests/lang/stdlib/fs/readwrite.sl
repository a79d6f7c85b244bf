; fs/ read, write, append, stat, readdir, copy, move, delete — in a fresh directory under the
; temp dir (unique name), removed at the end.
(def dir (string/concat (sys/tmpdir) "/slight-lang-fs-rw-" (timer/now)))
(defun p (name) (string/concat dir "/" name))

(fs/exists? dir)
(fs/mkdir! dir)
(fs/exists? dir)

; write / read, Unicode content, overwrite
(fs/write (p "a.txt") "hello")
(fs/read (p "a.txt"))
(fs/write! (p "a.txt") "héllo wörld 😀\n")
(fs/read (p "a.txt"))
(string/length (fs/read (p "a.txt")))

; append (also creates a missing file)
(fs/append (p "a.txt") "more")
(fs/append! (p "a.txt") "!")
(fs/read (p "a.txt"))
(fs/append (p "new.txt") "created")
(fs/read (p "new.txt"))
(fs/write (p "empty.txt") "")
(fs/read (p "empty.txt"))

; a Unicode file name
(fs/write (p "ünï😀.txt") "u")
(fs/read (p "ünï😀.txt"))

; stat: size in bytes, kinds, modification time (unix seconds)
(def st (fs/stat (p "a.txt")))
(map/keys st)
(list (map/get st :size) (map/get st :file?) (map/get st :dir?))
(let ((age (- (timer/now) (* 1000 (map/get st :modified)))))
  (and (> age -60000) (< age 60000)))
(map/get (fs/stat (p "empty.txt")) :size)
(let ((d (fs/stat dir))) (list (map/get d :dir?) (map/get d :file?)))

; mkdir! makes parents and accepts an existing directory
(fs/mkdir! (p "sub/deeper"))
(fs/mkdir! (p "sub/deeper"))
(fs/readdir dir)
(fs/readdir (p "sub"))
(fs/readdir (p "sub/deeper"))

; readdir sorts names by code point
(fs/mkdir! (p "sorted"))
(fs/write (p "sorted/b") "")
(fs/write (p "sorted/B") "")
(fs/write (p "sorted/a") "")
(fs/write (p "sorted/é") "")
(fs/write (p "sorted/10") "")
(fs/write (p "sorted/9") "")
(fs/readdir (p "sorted"))

; copy! and move!
(fs/copy! (p "a.txt") (p "b.txt"))
(fs/read (p "b.txt"))
(fs/copy! (p "new.txt") (p "b.txt"))
(fs/read (p "b.txt"))
(fs/move! (p "b.txt") (p "sub/c.txt"))
(fs/exists? (p "b.txt"))
(fs/read (p "sub/c.txt"))
(fs/move! (p "sub") (p "sub2"))
(fs/readdir (p "sub2"))
(fs/exists? (p "sub"))

; resolve: absolute, `.` and `..` applied, need not exist
(== (fs/resolve (p "sub2/./x/../../a.txt")) (string/concat (fs/resolve dir) "/a.txt"))
(== (fs/resolve ".") (sys/cwd))
(== (fs/resolve "x/y/../z") (string/concat (sys/cwd) "/x/z"))
(fs/resolve "/")
(fs/resolve "/a/b/../../..")
(fs/resolve "/no/such/./dir/..")

; delete! removes files, and directories with their contents
(fs/delete! (p "a.txt"))
(fs/exists? (p "a.txt"))
(fs/delete! (p "sub2"))
(fs/exists? (p "sub2"))

; compat names
(write-file! (p "c.txt") "compat")
(read-file (p "c.txt"))
(file-exists? (p "c.txt"))
(file-exists? (p "nope.txt"))

; clean up
(fs/delete! dir)
(fs/exists? dir)
