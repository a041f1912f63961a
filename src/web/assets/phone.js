// The sandbox phone, enhanced: forms post in the background and the chat follows the
// conversation live by polling /sandbox/phone/messages about once a second (see the route for
// why polling). Everything a business or user typed is put in the page with textContent only.
(function () {
  'use strict';
  var chat = document.getElementById('chat');
  var errorBox = document.getElementById('phone-error');
  if (!chat) return;
  var pollUrl = chat.getAttribute('data-poll');
  var version = chat.getAttribute('data-version') || '';
  var timer = null;
  var inFlight = false;
  var stopped = false;

  function csrf() {
    var input = document.querySelector('input[name="_csrf"]');
    return input ? input.value : '';
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function hidden(name, value) {
    var i = document.createElement('input');
    i.type = 'hidden';
    i.name = name;
    i.value = value;
    return i;
  }

  function replyForm(cls, messageId) {
    var f = el('form', cls);
    f.method = 'post';
    f.action = '/sandbox/phone/reply';
    f.setAttribute('data-enhance', '');
    f.appendChild(hidden('_csrf', csrf()));
    f.appendChild(hidden('message_id', messageId));
    return f;
  }

  function choiceButton(id, children) {
    var b = el('button');
    b.type = 'submit';
    b.name = 'choice';
    b.value = id;
    children.forEach(function (c) { b.appendChild(c); });
    return b;
  }

  function localTime(t) {
    var d = new Date(t.getAttribute('datetime'));
    if (!isNaN(d.getTime())) t.textContent = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function buildMeta(b) {
    var p = el('p', 'meta');
    var t = el('time', null, b.time);
    t.setAttribute('datetime', b.at);
    localTime(t);
    p.appendChild(t);
    var ticks = el('span', 'ticks s-' + b.meta.status);
    ticks.title = b.meta.statusLabel;
    var glyph = el('span', null, b.meta.glyph);
    glyph.setAttribute('aria-hidden', 'true');
    ticks.appendChild(glyph);
    ticks.appendChild(el('span', 'vh', b.meta.statusLabel));
    p.appendChild(ticks);
    if (b.meta.error) p.appendChild(el('span', 'err', b.meta.error));
    b.meta.reactions.forEach(function (r) {
      var label = r.by === 'you' ? 'Your reaction' : 'The business reacted';
      var s = el('span', 'reaction');
      s.title = label;
      s.appendChild(el('span', 'vh', label + ': '));
      s.appendChild(document.createTextNode(r.emoji));
      p.appendChild(s);
    });
    return p;
  }

  function copyBox(cls, label, value, inputLabel, buttonLabel) {
    var box = el('div', 'pay-outside ' + cls);
    box.appendChild(el('p', 'pay-how', label));
    var input = el('input', 'copy-value');
    input.readOnly = true;
    input.value = value;
    input.setAttribute('aria-label', inputLabel);
    box.appendChild(input);
    var copy = el('button', 'copy', buttonLabel);
    copy.type = 'button';
    copy.setAttribute('data-copy', value);
    box.appendChild(copy);
    return box;
  }

  /** An order_details message's order, as the server draws it (views/phone/order.eta). */
  function buildOrder(b) {
    var o = b.order;
    var st = b.meta.order || { payable: false };
    var sec = el('section', 'order');
    sec.setAttribute('data-ref', o.referenceId);
    var items = el('ul', 'order-items');
    items.setAttribute('aria-label', 'Items');
    o.items.forEach(function (i) {
      var li = el('li', 'order-item');
      li.appendChild(el('span', 'item-name', i.name));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'item-qty', '× ' + i.quantity));
      li.appendChild(document.createTextNode(' '));
      var price = el('span', 'item-price');
      if (i.was) { price.appendChild(el('s', 'item-was', i.was)); price.appendChild(document.createTextNode(' ')); }
      price.appendChild(document.createTextNode(i.price));
      li.appendChild(price);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'item-total', i.total));
      items.appendChild(li);
    });
    if (o.items.length) sec.appendChild(items);
    var dl = el('dl', 'order-sums');
    function sum(cls, label, amount, description) {
      var row = el('div', cls);
      var dt = el('dt', null, label);
      if (description) { dt.appendChild(document.createTextNode(' ')); dt.appendChild(el('span', 'sum-desc', '(' + description + ')')); }
      row.appendChild(dt);
      row.appendChild(el('dd', null, amount));
      dl.appendChild(row);
    }
    o.lines.forEach(function (l) { sum('order-line', l.label, l.amount, l.description); });
    sum('order-total', 'Total', o.total);
    sec.appendChild(dl);
    var ref = el('p', 'order-ref', 'Reference ');
    ref.appendChild(el('span', 'ref', o.referenceId));
    sec.appendChild(ref);
    if (o.expires) sec.appendChild(el('p', 'order-exp', o.expires));
    if (st.status) {
      var sp = el('p', 'order-state', 'Order status: ');
      sp.appendChild(el('span', 'order-status-label', st.status.label));
      if (st.status.description) { sp.appendChild(document.createTextNode(' ')); sp.appendChild(el('span', 'order-desc', st.status.description)); }
      sec.appendChild(sp);
    }
    if (st.payment) {
      var pay = el('p', 'payment p-' + st.payment.status, st.payment.label);
      if (st.payment.reason) { pay.appendChild(document.createTextNode(': ')); pay.appendChild(el('span', 'payment-reason', st.payment.reason)); }
      sec.appendChild(pay);
    }
    if (o.pix) {
      var pix = copyBox('pix', "Pay with Pix: copy the code into your bank's app" + (o.pix.merchantName ? ' (to ' + o.pix.merchantName + ')' : ''), o.pix.code, 'Pix code', 'Copy Pix code');
      pix.querySelector('input').className = 'copy-value pix-code';
      if (o.pix.key) pix.appendChild(el('p', 'pix-key', 'Pix key' + (o.pix.keyType ? ' (' + o.pix.keyType + ')' : '') + ': ' + o.pix.key));
      sec.appendChild(pix);
    }
    if (o.boleto) {
      var bol = copyBox('boleto', 'Pay by boleto: the digitable line', o.boleto, 'Boleto digitable line', 'Copy digitable line');
      bol.querySelector('input').className = 'copy-value boleto-line';
      sec.appendChild(bol);
    }
    if (o.paymentLink) {
      var pl = el('p', 'pay-outside pay-link');
      pl.appendChild(el('span', 'link-label', 'Pay online'));
      pl.appendChild(document.createTextNode(' '));
      pl.appendChild(el('span', 'link-target', o.paymentLink));
      sec.appendChild(pl);
    }
    if (!o.inApp) sec.appendChild(el('p', 'note', 'Paid outside WhatsApp: the business confirms it with an order status update.'));
    if (st.payable) {
      var det = el('details', 'pay');
      det.appendChild(el('summary', null, 'Review and pay'));
      var f = el('form', 'pay-confirm');
      f.method = 'post';
      f.action = '/sandbox/phone/pay';
      f.setAttribute('data-enhance', '');
      f.appendChild(hidden('_csrf', csrf()));
      f.appendChild(hidden('message_id', b.id));
      var q = el('p', null, 'Pay ');
      q.appendChild(el('strong', null, o.total));
      q.appendChild(document.createTextNode(' for order ' + o.referenceId + '?'));
      f.appendChild(q);
      var pay = el('button', null, 'Pay ' + o.total);
      pay.type = 'submit';
      pay.name = 'outcome';
      pay.value = 'captured';
      f.appendChild(pay);
      f.appendChild(document.createTextNode(' '));
      var failBtn = el('button', 'secondary', 'Fail payment');
      failBtn.type = 'submit';
      failBtn.name = 'outcome';
      failBtn.value = 'failed';
      f.appendChild(failBtn);
      det.appendChild(f);
      sec.appendChild(det);
    }
    return sec;
  }

  /** An order_status message's update (views/phone/order.eta). */
  function buildOrderUpdate(u) {
    var sec = el('section', 'order-update');
    sec.setAttribute('data-ref', u.referenceId);
    var p = el('p', 'order-state', 'Order ');
    p.appendChild(el('span', 'ref', u.referenceId));
    p.appendChild(document.createTextNode(': '));
    p.appendChild(el('span', 'order-status-label s-' + u.status, u.label));
    sec.appendChild(p);
    if (u.description) sec.appendChild(el('p', 'order-desc', u.description));
    if (u.payment) sec.appendChild(el('p', 'payment p-' + u.payment.status, u.payment.label));
    return sec;
  }

  function buildBubble(b) {
    var li = el('li', 'msg from-' + b.from + (b.type === 'call' ? ' call-log' : ''));
    li.setAttribute('data-id', b.id);
    li.setAttribute('data-sig', b.sig);
    var d = el('div', 'bubble');
    d.appendChild(el('span', 'vh', (b.from === 'user' ? 'You' : 'Business') + ':'));
    if (b.quote) {
      var q = el('p', 'quote');
      q.appendChild(el('span', 'vh', 'Replying to: '));
      q.appendChild(document.createTextNode(b.quote));
      d.appendChild(q);
    }
    if (b.header) d.appendChild(el('p', 'hdr', b.header));
    if (b.media) {
      var m = el('p', 'media');
      m.appendChild(el('span', 'media-kind', b.media.label));
      if (b.media.filename) { m.appendChild(document.createTextNode(' ')); m.appendChild(el('span', 'filename', b.media.filename)); }
      d.appendChild(m);
    }
    if (b.location) {
      var l = el('p', 'loc');
      l.appendChild(el('span', 'media-kind', 'Location'));
      l.appendChild(document.createTextNode(' '));
      l.appendChild(el('span', 'coords', b.location.latitude + ', ' + b.location.longitude));
      if (b.location.name) { l.appendChild(document.createTextNode(' ')); l.appendChild(el('span', 'place', b.location.name)); }
      if (b.location.address) { l.appendChild(document.createTextNode(' ')); l.appendChild(el('span', 'addr', b.location.address)); }
      d.appendChild(l);
    }
    if (b.text) d.appendChild(el('p', 'text', b.text));
    if (b.footer) d.appendChild(el('p', 'ftr', b.footer));
    if (b.note) d.appendChild(el('p', 'note', b.note));
    if (b.order) d.appendChild(buildOrder(b));
    if (b.orderStatus) d.appendChild(buildOrderUpdate(b.orderStatus));
    if (b.links) {
      var ul = el('ul', 'links');
      b.links.forEach(function (k) {
        var item = el('li');
        if (b.flowHref) {
          // A flow message: its button opens the flow's page.
          var open = el('a', 'link-label', k.label);
          open.href = b.flowHref;
          item.appendChild(open);
        } else item.appendChild(el('span', 'link-label', k.label));
        item.appendChild(document.createTextNode(' '));
        item.appendChild(el('span', 'link-target', k.target));
        ul.appendChild(item);
      });
      d.appendChild(ul);
    }
    if (b.buttons) {
      var f = replyForm('choices', b.id);
      b.buttons.forEach(function (c) { f.appendChild(choiceButton(c.id, [document.createTextNode(c.title)])); });
      d.appendChild(f);
    }
    if (b.cards) {
      // A carousel: each card with its header, body and its URL button (shown) or quick replies (tappable).
      var ol = el('ol', 'cards');
      ol.setAttribute('aria-label', 'Cards');
      b.cards.forEach(function (c) {
        var card = el('li', 'card');
        if (c.media) {
          var cm = el('p', 'media');
          cm.appendChild(el('span', 'media-kind', c.media.label));
          card.appendChild(cm);
        }
        if (c.text) card.appendChild(el('p', 'text', c.text));
        if (c.link) {
          var cl = el('p', 'link');
          cl.appendChild(el('span', 'link-label', c.link.label));
          cl.appendChild(document.createTextNode(' '));
          cl.appendChild(el('span', 'link-target', c.link.target));
          card.appendChild(cl);
        }
        if (c.buttons) {
          var cf = replyForm('choices', b.id);
          c.buttons.forEach(function (x) { cf.appendChild(choiceButton(x.id, [document.createTextNode(x.title)])); });
          card.appendChild(cf);
        }
        ol.appendChild(card);
      });
      d.appendChild(ol);
    }
    if (b.permission) {
      var pf = replyForm('choices permission', b.id);
      b.permission.forEach(function (c) { pf.appendChild(choiceButton(c.id, [document.createTextNode(c.title)])); });
      d.appendChild(pf);
    }
    if (b.templateButtons) {
      // In the template's order: quick replies to tap, links only shown.
      var tf = replyForm('choices', b.id);
      b.templateButtons.forEach(function (x) {
        if (x.kind === 'reply') {
          tf.appendChild(choiceButton(x.id, [document.createTextNode(x.title)]));
          return;
        }
        var p = el('p', 'link');
        if (x.href) {
          // A FLOW button: opens the flow's page.
          var go = el('a', 'link-label', x.label);
          go.href = x.href;
          p.appendChild(go);
        } else p.appendChild(el('span', 'link-label', x.label));
        p.appendChild(document.createTextNode(' '));
        p.appendChild(el('span', 'link-target', x.target));
        tf.appendChild(p);
      });
      d.appendChild(tf);
    }
    if (b.list) {
      var det = el('details', 'list');
      det.appendChild(el('summary', null, b.list.button));
      var rf = replyForm('rows', b.id);
      b.list.sections.forEach(function (s) {
        var fs = el('fieldset');
        if (s.title) fs.appendChild(el('legend', null, s.title));
        s.rows.forEach(function (r) {
          var parts = [el('span', 'row-title', r.title)];
          if (r.description) parts.push(el('span', 'row-desc', r.description));
          fs.appendChild(choiceButton(r.id, parts));
        });
        rf.appendChild(fs);
      });
      det.appendChild(rf);
      d.appendChild(det);
    }
    li.appendChild(d);
    li.appendChild(buildMeta(b));
    var tpl = document.getElementById('tpl-react');
    // A call log line (call-log.ts) takes no reaction.
    if (b.from === 'business' && b.type !== 'call' && tpl) {
      var react = tpl.content.firstElementChild.cloneNode(true);
      react.querySelector('input[name="message_id"]').value = b.id;
      li.appendChild(react);
    }
    return li;
  }

  /** The newest messages just above the composer. */
  function toBottom() {
    var end = document.getElementById('compose') || chat;
    end.scrollIntoView({ block: 'end' });
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 120;
  }

  function apply(items, follow) {
    var existing = {};
    Array.prototype.forEach.call(chat.querySelectorAll('li.msg'), function (li) { existing[li.getAttribute('data-id')] = li; });
    var stick = follow || nearBottom();
    var keep = {};
    var added = false;
    var prev = null;
    items.forEach(function (b) {
      keep[b.id] = true;
      var li = existing[b.id];
      if (li) {
        if (li.getAttribute('data-sig') !== b.sig) {
          if (b.order) {
            // An order's payment and status show in its bubble (and take its pay button away): redraw it whole.
            var fresh = buildBubble(b);
            // A confirmation the user opened stays open while ticks move.
            var wasOpen = li.querySelector('details.pay[open]');
            var pay = fresh.querySelector('details.pay');
            if (wasOpen && pay) pay.open = true;
            chat.replaceChild(fresh, li);
            li = fresh;
          } else {
            // Only status and reactions change after a message is shown: redraw just those.
            li.replaceChild(buildMeta(b), li.querySelector('.meta'));
            li.setAttribute('data-sig', b.sig);
          }
        }
      } else {
        li = buildBubble(b);
        chat.insertBefore(li, prev ? prev.nextSibling : chat.firstChild);
        added = true;
      }
      prev = li;
    });
    Object.keys(existing).forEach(function (id) { if (!keep[id]) chat.removeChild(existing[id]); });
    var empty = document.getElementById('chat-empty');
    if (empty && items.length) empty.parentNode.removeChild(empty);
    // Ice breakers and commands are offered on an empty chat only.
    var suggestions = document.getElementById('chat-suggestions');
    if (suggestions && items.length) suggestions.parentNode.removeChild(suggestions);
    if (added && stick) toBottom();
  }

  function callForm(action, callId, cls, label) {
    var f = el('form');
    f.method = 'post';
    f.action = action;
    f.setAttribute('data-enhance', '');
    f.appendChild(hidden('_csrf', csrf()));
    f.appendChild(hidden('call_id', callId));
    var b = el('button', cls, label);
    b.type = 'submit';
    f.appendChild(b);
    return f;
  }

  /** The call bar, as the server draws it (views/phone/call.eta): redrawn only when the call or its state changes. */
  function showCall(call) {
    var box = document.getElementById('call');
    if (!box || call === undefined) return;
    var start = document.getElementById('call-start');
    if (start) start.hidden = !!call;
    var sig = call ? call.id + '|' + call.state : '';
    if (box.getAttribute('data-sig') === sig) return;
    box.setAttribute('data-sig', sig);
    while (box.firstChild) box.removeChild(box.firstChild);
    box.className = 'call' + (call ? ' call-' + call.direction + ' call-' + call.state : '');
    box.hidden = !call;
    if (!call) return;
    var business = box.getAttribute('data-business') || 'the business';
    var ringingIn = call.direction === 'incoming' && call.state === 'ringing';
    var title = el('p', 'call-title', call.state === 'connected' ? 'On a call with ' + business : ringingIn ? 'Incoming voice call from ' + business : 'Calling ' + business + '…');
    title.setAttribute('role', ringingIn ? 'alert' : 'status');
    box.appendChild(title);
    if (call.since) {
      var since = el('p', 'call-since', 'since ');
      var t = el('time');
      t.setAttribute('datetime', call.since);
      localTime(t);
      since.appendChild(t);
      box.appendChild(since);
    }
    var actions = el('div', 'call-actions');
    if (ringingIn) actions.appendChild(callForm('/sandbox/phone/call/answer', call.id, 'accept', 'Accept'));
    actions.appendChild(callForm('/sandbox/phone/call/end', call.id, 'decline', ringingIn ? 'Decline' : 'Hang up'));
    box.appendChild(actions);
  }

  /** The business's typing indicator (a mark-as-read with typing_indicator): until when, or null. */
  function showTyping(until) {
    var t = document.getElementById('chat-typing');
    if (t) t.hidden = !until;
  }

  function showError(message) {
    if (!errorBox) return;
    errorBox.textContent = message || '';
    errorBox.hidden = !message;
    if (message) errorBox.scrollIntoView({ block: 'nearest' });
  }

  function schedule(ms) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  function poll(follow) {
    if (inFlight) return schedule(300);
    if (document.hidden && !follow) return schedule(1000);
    inFlight = true;
    fetch(pollUrl, { headers: { accept: 'application/json', 'if-none-match': version }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 304) return null;
        if (res.status === 401 || res.status === 409) {
          // The session lost its channel (key revoked, channel cancelled) or its user: say why,
          // in the server's words, and stop asking.
          stopped = true;
          return res.json().catch(function () { return {}; }).then(function (data) {
            showError(data.error || 'This phone session has ended.');
            errorBox.appendChild(document.createTextNode(' '));
            var again = el('a', null, 'Reload the phone');
            again.href = '/sandbox/phone';
            errorBox.appendChild(again);
            return null;
          });
        }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) {
        if (!data) return;
        version = data.version;
        apply(data.items, follow === true);
        // The server's clock decides when the 25 s are over: the version changes then too.
        showTyping(data.typing);
        showCall(data.call);
      })
      .catch(function () { /* a missed poll is retried on the next tick */ })
      .then(function () {
        inFlight = false;
        schedule(1000);
      });
  }

  function submitInBackground(form, submitter) {
    var body = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    var buttons = form.querySelectorAll('button');
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    fetch(form.action, { method: 'POST', body: body, headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok) throw new Error(data.error || 'Could not send (HTTP ' + res.status + ').');
          showError('');
          if (form.hasAttribute('data-reset')) form.reset();
          var details = form.closest('details');
          if (details) details.open = false;
          poll(true);
        });
      })
      .catch(function (err) { showError(err.message); })
      .then(function () { Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; }); });
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-enhance')) return;
    e.preventDefault();
    submitInBackground(form, e.submitter);
  });

  // A Pix code or boleto line: copied to the clipboard (or, where that is refused, selected for the user to copy).
  document.addEventListener('click', function (e) {
    var btn = e.target instanceof Element ? e.target.closest('button[data-copy]') : null;
    if (!btn) return;
    var value = btn.getAttribute('data-copy') || '';
    var input = btn.parentNode.querySelector('input.copy-value');
    function selected() {
      if (input) { input.focus(); input.select(); }
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
      btn.textContent = ok ? 'Copied' : 'Selected: copy it';
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(value).then(function () { btn.textContent = 'Copied'; }, selected);
    } else selected();
  });

  var body = document.getElementById('body');
  if (body) {
    body.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (body.value.trim()) body.form.requestSubmit();
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('#chat time[datetime], #call time[datetime]'), localTime);
  if (!location.hash) toBottom();
  schedule(1000);
  // Enhanced from here on: Enter sends, forms post in the background. A page driven by a script
  // (the browser tests) waits for this before typing, since the script is deferred and Enter in
  // the composer before it runs would only add a line.
  chat.setAttribute('data-live', '');
})();
