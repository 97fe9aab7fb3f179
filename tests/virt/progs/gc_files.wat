;; A WASI command whose data lives in GC objects (Wasm 3.0; assembled by binaryen's
;; wasm-as): it reads /data/in.txt, keeps the text as a list of structs (letters as a
;; subtype that remembers the letter upper-cased, told apart with br_on_cast) and as an
;; i8 array, then writes the text reversed and upper-cased to stdout and to
;; /data/gc_out.txt, and a summary line. The same run directly and behind wasi-virt must
;; print the same and leave the same files.
(module
  (type $cell (sub (struct (field $byte i32) (field $next (ref null $cell)))))
  (type $letter (sub final $cell (struct (field $byte i32) (field $next (ref null $cell)) (field $upper i32))))
  (type $bytes (array (mut i8)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; 0..63 iovecs and results; 512 names; 1024 the text read; 8192 the text written
  (data (i32.const 512) "in.txt")
  (data (i32.const 576) "gc_out.txt")
  (data (i32.const 640) "\ncells ")
  (data (i32.const 656) ", letters ")
  (data (i32.const 672) ", array sum ")
  (global $list (mut (ref null $cell)) (ref.null $cell))

  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $proc_exit (i32.const 2)))))
  ;; a decimal number at 4096, printed to stdout
  (func $number (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 4112))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $write (i32.const 1) (local.get $p) (i32.sub (i32.const 4112) (local.get $p))))

  (func $is_lower (param $c i32) (result i32)
    (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122))))

  ;; the byte a cell stands for in the output: a letter's upper case
  (func $out_byte (param $c (ref $cell)) (result i32)
    (block $not_letter (result (ref $cell))
      (return (struct.get $letter $upper
        (br_on_cast_fail $not_letter (ref $cell) (ref $letter) (local.get $c)))))
    (struct.get $cell $byte))

  (func $main (export "_start")
    (local $fd i32) (local $n i32) (local $i i32) (local $c i32) (local $letters i32)
    (local $arr (ref null $bytes)) (local $sum i32) (local $cur (ref null $cell)) (local $out i32)
    ;; read in.txt (preopen 3 is /data): fd_read|fd_seek
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 512) (i32.const 6) (i32.const 0)
                         (i64.const 6) (i64.const 0) (i32.const 0) (i32.const 32))
      (then (call $proc_exit (i32.const 3))))
    (local.set $fd (i32.load (i32.const 32)))
    (i32.store (i32.const 16) (i32.const 1024))
    (i32.store (i32.const 20) (i32.const 4096))
    (if (call $fd_read (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24))
      (then (call $proc_exit (i32.const 4))))
    (local.set $n (i32.load (i32.const 24)))
    (drop (call $fd_close (local.get $fd)))
    ;; the text as an array and as a list, newest first (so the list is the text reversed)
    (local.set $arr (array.new_default $bytes (local.get $n)))
    (loop $each
      (if (i32.lt_u (local.get $i) (local.get $n))
        (then
          (local.set $c (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
          (array.set $bytes (local.get $arr) (local.get $i) (local.get $c))
          (if (call $is_lower (local.get $c))
            (then
              (local.set $letters (i32.add (local.get $letters) (i32.const 1)))
              (global.set $list (struct.new $letter (local.get $c) (global.get $list)
                                  (i32.sub (local.get $c) (i32.const 32)))))
            (else (global.set $list (struct.new $cell (local.get $c) (global.get $list)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $each))))
    ;; the list written out: reversed, upper-cased
    (local.set $cur (global.get $list))
    (block $end
      (loop $walk
        (br_if $end (ref.is_null (local.get $cur)))
        (i32.store8 (i32.add (i32.const 8192) (local.get $out))
                    (call $out_byte (ref.as_non_null (local.get $cur))))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $cur (struct.get $cell $next (local.get $cur)))
        (br $walk)))
    (call $write (i32.const 1) (i32.const 8192) (local.get $out))
    ;; the same into gc_out.txt: creat|trunc, fd_write
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 576) (i32.const 10) (i32.const 9)
                         (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 32))
      (then (call $proc_exit (i32.const 5))))
    (local.set $fd (i32.load (i32.const 32)))
    (call $write (local.get $fd) (i32.const 8192) (local.get $out))
    (drop (call $fd_close (local.get $fd)))
    ;; the summary: cells, letters, the array's bytes summed
    (local.set $i (i32.const 0))
    (loop $add
      (if (i32.lt_u (local.get $i) (array.len (local.get $arr)))
        (then
          (local.set $sum (i32.add (local.get $sum) (array.get_u $bytes (local.get $arr) (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $add))))
    (call $write (i32.const 1) (i32.const 640) (i32.const 7))
    (call $number (local.get $out))
    (call $write (i32.const 1) (i32.const 656) (i32.const 10))
    (call $number (local.get $letters))
    (call $write (i32.const 1) (i32.const 672) (i32.const 12))
    (call $number (local.get $sum))
    (i32.store8 (i32.const 4200) (i32.const 10))
    (call $write (i32.const 1) (i32.const 4200) (i32.const 1)))
)
