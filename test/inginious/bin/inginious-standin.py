#!/usr/bin/python3
# Stand-ins for the commands of an INGInious grading container, for the
# emulated container of test/inginious.test.ts (no Docker here). Written from
# INGInious's documentation and the behaviour of inginious_container_api
# (same arguments, same files, same return codes), not copied from it. One
# file, installed under each command's name; it acts by the name it is run as.
#
#   getinput PROBLEM[:filename]        the answer, from /.__input/__inputdata.json
#   feedback-result [-i ID] RESULT     these write /.__output/__feedback.json,
#   feedback-grade GRADE               as INGInious's do
#   feedback-msg [-a] [-i ID] [-e] [-m MSG]
#   feedback-custom [-j] KEY VALUE
#   tag-set TAG true|false
#   run_student [--time S] [--hard-time S] [--memory MB] [--share-network] ... CMD...
#
# run_student here cannot start a container (that is the INGInious agent's
# job): it runs the command in place, in the same network namespace (what
# --share-network gives), in the current directory, with the CPU time as an
# rlimit, the hard time as a timer, and memory as an address-space limit,
# and returns 253 on a timeout, 252 when the command was killed at its memory
# limit, 254 on its own failure, else the command's status (a signal N as
# 256 - N, as a container's exit status carries it). Like the real one, it
# passes on no signal: a SIGTERM to run_student does not reach the command.
# What a student container would not have (a folder or a command under /task
# but outside /task/student) fails as it fails in one: status 1.
import argparse
import json
import os
import resource
import shlex
import signal
import subprocess
import sys
import threading

INPUT = '/.__input/__inputdata.json'
OUTPUT = '/.__output/__feedback.json'


def load_feedback():
    try:
        with open(OUTPUT) as f:
            text = f.read()
        return json.loads(text) if text else {}
    except FileNotFoundError:
        return {}


def save_feedback(data):
    with open(OUTPUT, 'w') as f:
        f.write(json.dumps(data))


def getinput(argv):
    p = argparse.ArgumentParser(prog='getinput')
    p.add_argument('problem')
    a = p.parse_args(argv)
    try:
        with open(INPUT) as f:
            data = json.load(f)
        pid, _, sub = a.problem.partition(':')
        answer = data['input'][pid]
        if isinstance(answer, dict) and 'filename' in answer and 'value' in answer:
            if sub == 'filename':
                sys.stdout.write(answer['filename'])
            else:
                with open(answer['value'], 'rb') as f:
                    sys.stdout.buffer.write(f.read())
        elif isinstance(answer, (list, dict)):
            sys.stdout.write(json.dumps(answer))
        else:
            sys.stdout.write(str(answer))
    except (IOError, KeyError):
        sys.stderr.write('Input file not found')
        sys.exit(2)


def feedback_result(argv):
    p = argparse.ArgumentParser(prog='feedback-result')
    p.add_argument('-i', '--id', default='')
    p.add_argument('result')
    a = p.parse_args(argv)
    fb = load_feedback()
    if a.id:
        fb.setdefault('problems', {}).setdefault(a.id, ['', ''])[0] = a.result
    else:
        fb['result'] = a.result
    save_feedback(fb)


def feedback_grade(argv):
    p = argparse.ArgumentParser(prog='feedback-grade')
    p.add_argument('grade')
    a = p.parse_args(argv)
    fb = load_feedback()
    fb['grade'] = float(a.grade)
    save_feedback(fb)


def feedback_msg(argv):
    p = argparse.ArgumentParser(prog='feedback-msg')
    p.add_argument('-a', '--append', action='store_true')
    p.add_argument('-i', '--id', default='')
    p.add_argument('-e', '--escape', action='store_true')
    p.add_argument('-m', '--message', default='')
    a = p.parse_args(argv)
    msg = a.message if a.message else sys.stdin.read()
    fb = load_feedback()
    if a.id:
        entry = fb.setdefault('problems', {}).setdefault(a.id, ['', ''])
        entry[1] = (entry[1] + msg) if a.append else msg
    else:
        fb['text'] = (fb.get('text', '') + msg) if a.append else msg
    save_feedback(fb)


def feedback_custom(argv):
    p = argparse.ArgumentParser(prog='feedback-custom')
    p.add_argument('-j', '--json', action='store_true')
    p.add_argument('key')
    p.add_argument('value')
    a = p.parse_args(argv)
    value = a.value
    if a.json:
        try:
            value = json.loads(value)
        except ValueError:
            print('Cannot decode json. Invalid value for --json')
            sys.exit(1)
    fb = load_feedback()
    fb.setdefault('custom', {})[a.key] = value
    save_feedback(fb)


def tag_set(argv):
    p = argparse.ArgumentParser(prog='tag-set')
    p.add_argument('tag')
    p.add_argument('value')
    a = p.parse_args(argv)
    fb = load_feedback()
    fb.setdefault('tests', {})[a.tag] = a.value in ('True', 'true')
    save_feedback(fb)


def run_student(argv):
    p = argparse.ArgumentParser(prog='run_student')
    p.add_argument('--container', default=None)
    p.add_argument('--time', type=int, default=0)
    p.add_argument('--hard-time', type=int, default=0)
    p.add_argument('--memory', type=int, default=0)
    p.add_argument('--share-network', action='store_true', dest='share_network')
    p.add_argument('--run-as-root', action='store_true')
    p.add_argument('--teardown-script', type=str, default='')
    p.add_argument('cmd', nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    if a.run_as_root:
        return 251
    if not a.share_network:
        # Without it the student container has no network at all; this
        # stand-in cannot take the network away, so it refuses instead.
        return 254
    # As the real one: the words are joined, then split again by shlex.
    words = shlex.split(' '.join(a.cmd))
    if not words:
        words = ['echo', 'info: student container started with no command set']
    # The student container is the image plus /task/student: a working folder
    # or a command elsewhere under /task does not exist there, and the real
    # one fails (its _run_student_intern dies on it: status 1).
    def unreachable(p):
        p = os.path.realpath(p)
        return (p == '/task' or p.startswith('/task/')) and not (p == '/task/student' or p.startswith('/task/student/'))
    if unreachable(os.getcwd()) or (os.path.isabs(words[0]) and unreachable(words[0])):
        sys.stderr.write('run_student stand-in: not in the student container: %s\n' % (os.getcwd() if unreachable(os.getcwd()) else words[0]))
        return 1
    cpu = a.time or 30
    hard = a.hard_time or 3 * cpu
    memory = a.memory

    def limits():
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory << 20, memory << 20))
        resource.setrlimit(resource.RLIMIT_NPROC, (1000, 1000))

    # Catches every catchable signal and does nothing with it, as run_student does.
    for name in dir(signal):
        if name.startswith('SIG') and not name.startswith('SIG_') and name not in ('SIGKILL', 'SIGSTOP', 'SIGCHLD'):
            try:
                signal.signal(getattr(signal, name), lambda *_: None)
            except (OSError, RuntimeError, ValueError, TypeError):
                pass
    try:
        child = subprocess.Popen(words, preexec_fn=limits, stdin=0, stdout=1, stderr=2)
    except OSError:
        return 254
    timed_out = threading.Event()

    def on_hard_time():
        timed_out.set()
        child.kill()

    timer = threading.Timer(hard, on_hard_time)
    timer.daemon = True
    timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    timer.cancel()
    if timed_out.is_set():
        return 253
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGKILL, signal.SIGXCPU) and usage.ru_utime + usage.ru_stime >= cpu:
            return 253
        if sig == signal.SIGKILL and memory and usage.ru_maxrss >= memory * 1024:
            return 252
        return (256 - sig) & 0xff
    return os.WEXITSTATUS(status)


COMMANDS = {
    'getinput': getinput,
    'feedback-result': feedback_result,
    'feedback-grade': feedback_grade,
    'feedback-msg': feedback_msg,
    'feedback-custom': feedback_custom,
    'tag-set': tag_set,
    'run_student': run_student,
}

if __name__ == '__main__':
    name = os.path.basename(sys.argv[0])
    if name not in COMMANDS:
        sys.stderr.write(f'inginious-standin: run me as one of {", ".join(COMMANDS)}\n')
        sys.exit(2)
    sys.exit(COMMANDS[name](sys.argv[1:]) or 0)
