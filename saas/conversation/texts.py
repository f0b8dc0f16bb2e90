"""What the bot says in the chat, in Bahasa Indonesia and English (the language of the message
the citizen answered). Like the notification templates, these are message texts, kept as data;
none carries a NIK, and none asks for one."""
from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "slots": "Pilih jadwal ambil {document_type} di {office_name}. Tunjukkan kode booking di loket; "
                 "tanpa antre.",
        "slots_button": "Pilih jadwal",
        "slot_row": "{remaining} tempat lagi",
        "no_slots": "Belum ada jadwal kosong dalam {days} hari ke depan. Coba lagi besok, atau minta diantar "
                    "kurir: balas \"Antar ke rumah\".",
        "booked": "Jadwal ambil {document_type} atas nama {name}: {slot}.\nKode booking: {booking_code}\n"
                  "{office_name}, {office_address}\nJam layanan: {office_hours}\nTunjukkan kode ini di loket.",
        "cancel": "Batal",
        "move": "Pindah",
        "booking_cancelled": "Jadwal {slot} dibatalkan. Dokumen tetap menunggu di kantor; balas \"Ambil di "
                             "kantor\" atau \"Antar ke rumah\" kapan saja.",
        "no_booking": "Tidak ada jadwal ambil yang aktif untuk dokumen ini.",
        "quote": "Antar {document_type} ke {address}:\nKurir: {courier}\nOngkos: {fee} ({distance} km)\n{payer}\n"
                 "Penerima: {rule}\nSetelah dipesan Anda menerima PIN penerimaan: berikan PIN itu kepada "
                 "pengemudi hanya saat amplop bersegel ada di tangan Anda. Tanpa PIN dokumen tidak diserahkan.",
        "order": "Pesan",
        "payer_office": "Ongkos ditanggung kantor.",
        "payer_cod": "Anda membayar pengemudi tunai saat menerima.",
        "payer_citizen": "Anda membayar ongkos kurir; kantor tidak menambah biaya.",
        "courier_form": "Isi alamat pengantaran di halaman ini (tanpa NIK), lalu lihat ongkosnya: {link}",
        "courier_refused": "{reason}",
        "courier_next_opening": "Anda tetap bisa meminta kurir sekarang di halaman ini; kami memesankannya pada jam "
                                "buka berikutnya, {when}, dengan perkiraan ongkos: {link}",
        "ordered": "Kurir sedang dipesan untuk {document_type}. PIN penerimaan Anda: {receipt_pin}. Berikan "
                   "hanya kepada pengemudi saat amplop bersegel diterima. Kabar pengemudi menyusul di sini.",
        "order_dropped": "Baik, kurir tidak dipesan. Dokumen tetap menunggu di kantor.",
        "offer_expired": "Penawaran ongkos sudah lewat. Balas \"Antar ke rumah\" untuk harga terbaru.",
        "later": "Baik. {document_type} menunggu di {office_name}. Balas \"Ambil di kantor\" atau \"Antar ke "
                 "rumah\" kapan saja.",
        "status": "{document_type} atas nama {name}: {status}.",
        "status_booking": "Jadwal ambil: {slot}, kode {booking_code}.",
        "status_delivery": "Kurir: {delivery_status}.",
        "stopped": "Baik, {city} tidak akan mengirim pengingat lagi ke nomor ini. Kabar penting tentang dokumen "
                   "Anda (siap, jadwal, kurir) tetap dikirim. Balas \"mulai\" untuk menerima pengingat lagi.",
        "resumed": "Pengingat dari {city} aktif lagi untuk nomor ini. Balas \"stop\" untuk menghentikannya.",
        "menu": "Balas dengan tombol di bawah, atau ketik \"status\" untuk melihat dokumen Anda, \"stop\" untuk "
                "menghentikan pengingat. Bantuan petugas: WhatsApp {help}. Jangan kirim NIK lewat chat ini.",
        "menu_unknown": "Kami belum tahu dokumen yang Anda maksud. Balas (geser lalu balas) pesan \"dokumen "
                        "sudah jadi\" dari kami. Bantuan petugas: WhatsApp {help}. Jangan kirim NIK lewat chat ini.",
        "status_button": "Status",
        "refused": "{reason}",
        "not_now": "{document_type} ini sekarang berstatus {status}; pilihan ini tidak tersedia.",
    },
    "en": {
        "slots": "Choose a time to collect the {document_type} at {office_name}. Show the booking code at the "
                 "desk; no queue.",
        "slots_button": "Choose a time",
        "slot_row": "{remaining} places left",
        "no_slots": "No free times in the next {days} days. Try again tomorrow, or have a courier bring it: "
                    "reply \"Deliver to my home\".",
        "booked": "Your time to collect the {document_type} of {name}: {slot}.\nBooking code: {booking_code}\n"
                  "{office_name}, {office_address}\nOpening hours: {office_hours}\nShow this code at the desk.",
        "cancel": "Cancel",
        "move": "Move",
        "booking_cancelled": "The time {slot} is cancelled. The document still waits at the office; reply "
                             "\"Collect at the office\" or \"Deliver to my home\" any time.",
        "no_booking": "This document has no active pickup time.",
        "quote": "Deliver the {document_type} to {address}:\nCourier: {courier}\nFee: {fee} ({distance} km)\n"
                 "{payer}\nWho may receive it: {rule}\nOnce booked you get a receipt PIN: give it to the driver "
                 "only when the sealed envelope is in your hands. Without the PIN the document is not handed over.",
        "order": "Book",
        "payer_office": "The office pays the courier.",
        "payer_cod": "You pay the driver in cash on delivery.",
        "payer_citizen": "You pay the courier; the office adds nothing.",
        "courier_form": "Fill in the delivery address on this page (no NIK needed), then see the price: {link}",
        "courier_refused": "{reason}",
        "courier_next_opening": "You can still ask for the courier now on this page; we book it at the next "
                                "opening, {when}, at an estimated price: {link}",
        "ordered": "A courier is being booked for the {document_type}. Your receipt PIN: {receipt_pin}. Give it "
                   "only to the driver when you receive the sealed envelope. The driver's news follows here.",
        "order_dropped": "All right, no courier is booked. The document still waits at the office.",
        "offer_expired": "That price has expired. Reply \"Deliver to my home\" for a fresh one.",
        "later": "All right. The {document_type} waits at {office_name}. Reply \"Collect at the office\" or "
                 "\"Deliver to my home\" any time.",
        "status": "The {document_type} of {name}: {status}.",
        "status_booking": "Pickup time: {slot}, code {booking_code}.",
        "status_delivery": "Courier: {delivery_status}.",
        "stopped": "All right, {city} will send no more reminders to this number. Important news about your "
                   "document (ready, pickup time, courier) still comes. Reply \"mulai\" to get reminders again.",
        "resumed": "Reminders from {city} are on again for this number. Reply \"stop\" to end them.",
        "menu": "Reply with a button below, or type \"status\" to see your document, \"stop\" to end reminders. "
                "Help from the office: WhatsApp {help}. Do not send your NIK in this chat.",
        "menu_unknown": "We do not know yet which document you mean. Reply (swipe, then reply) to our \"document "
                        "ready\" message. Help from the office: WhatsApp {help}. Do not send your NIK in this chat.",
        "status_button": "Status",
        "refused": "{reason}",
        "not_now": "This {document_type} is now {status}; that choice is not available.",
    },
}


def say_text(language: str, key: str, **values) -> str:
    texts = TEXTS.get(language) or TEXTS["id"]
    return texts[key].format(**values)
