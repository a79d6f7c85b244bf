;; The Mandelbrot set, computed by a Slight kernel and written to a PNG file.
;;
;; Shows: a two-dimensional image as a one-dimensional grid (pixel id = y*width + x), an escape
;; loop with `loop`/`recur` and a `u32` counter, a second kernel that turns counts into colours
;; 0xRRGGBB, a kernel that sums each row, and `image/write-png` writing straight from a gpu array.
;;
;; Run it:
;;   cargo run --release -- run examples/gpu/mandelbrot.sl                  (writes mandelbrot.png)
;;   SLIGHT_GPU=cpu cargo run --release -- run examples/gpu/mandelbrot.sl   (the CPU fallback)
;;   cargo run --release -- run examples/gpu/mandelbrot.sl out.png          (another file)
;;   cargo run --release -- run examples/gpu/mandelbrot.sl out.png 320 240 100
;;                                                  (file, width, height, most iterations)
;;
;; Escape counts depend on float rounding. The CPU fallback rounds after every +, - and *; a
;; GPU compiler may fuse or reorder `x*x - y*y + cx` (Mesa's lavapipe does), so near the
;; boundary of the set a few pixels take a different number of steps. At 800x600 with 256
;; iterations, 602 of the 480,000 counts differ: 22313054 iterations and 79569 pixels in the
;; set on lavapipe, 22312447 and 79554 on the CPU fallback. The picture looks the same.

(def args (sys/args))
(defun arg (i default) (if (> (list/length args) i) (list/nth args i) default))
(def path (arg 0 "mandelbrot.png"))
(def width (json/parse (arg 1 "800")))
(def height (json/parse (arg 2 "600")))
(def max-iter (json/parse (arg 3 "256")))

(def info (gpu/info))
(print "backend:" (map/get info :backend) "-" (map/get info :adapter))

;; The view: x from -2.5 to 1.0, y centred on 0, square pixels.
(def step (/ 3.5 width))
(def x0 -2.5)
(def y0 (- (* step height 0.5)))

;; counts[id] = how many steps z := z^2 + c takes to leave the circle of radius 2 (max-iter if
;; it never does), for c at the centre of pixel id.
(defkernel escape ((width i32) (x0 f32) (y0 f32) (step f32) (max-iter u32) (counts (array u32)))
  (let ((cx (+ x0 (* step (+ (f32 (rem (gpu/id) width)) 0.5))))
        (cy (+ y0 (* step (+ (f32 (/ (gpu/id) width)) 0.5)))))
    (set-at! counts (gpu/id)
      (loop ((x 0.0) (y 0.0) (n:u32 0))
        (if (or (>= n max-iter) (> (+ (* x x) (* y y)) 4.0))
            n
            (recur (+ (- (* x x) (* y y)) cx)
                   (+ (* 2.0 x y) cy)
                   (+ n 1)))))))

;; Black inside the set; outside, a smooth palette of t = sqrt(count / max-iter) (the square
;; root brightens the many pixels that escape early).
(defkernel colour ((max-iter u32) (counts (array u32)) (pixels (array u32)))
  (let ((n (at counts (gpu/id))))
    (set-at! pixels (gpu/id)
      (if (>= n max-iter)
          0
          (let ((t (sqrt (/ (f32 n) (f32 max-iter))))
                (s (- 1.0 t))
                (r (u32 (* 9.0 s t t t 255.0)))
                (g (u32 (* 15.0 s s t t 255.0)))
                (b (u32 (* 8.5 s s s t 255.0))))
            (+ (* r 65536) (* g 256) b))))))

;; rows[y] = the sum of the counts of row y; inside[y] = its pixels in the set.
(defkernel row-sums ((width i32) (max-iter u32) (counts (array u32)) (rows (array u32)) (inside (array u32)))
  (let ((start (* (gpu/id) width)))
    (loop ((i start) (sum:u32 0) (in:u32 0))
      (if (< i (+ start width))
          (let ((n (at counts i)))
            (recur (+ i 1) (+ sum n) (if (>= n max-iter) (+ in 1) in)))
          (do (set-at! rows (gpu/id) sum)
              (set-at! inside (gpu/id) in))))))

(def pixels (* width height))
(def counts (gpu/buffer pixels :u32))
(def colours (gpu/buffer pixels :u32))
(def rows (gpu/buffer height :u32))
(def inside (gpu/buffer height :u32))
(gpu/run escape width x0 y0 step max-iter counts :grid pixels)
(gpu/run colour max-iter counts colours :grid pixels)
(gpu/run row-sums width max-iter counts rows inside :grid height)

(image/write-png path width height colours)

(print (string/format "{}x{} pixels, at most {} iterations, written to {}" width height max-iter path))
(print "total iterations =" (list/reduce + 0 (gpu/to-list rows)))
(print "pixels in the set =" (list/reduce + 0 (gpu/to-list inside)))
