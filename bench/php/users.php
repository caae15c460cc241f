<?php
// The vendor's users-info callback as its integration notes describe it (and the OctoberCMS
// plugin's apiChat.php does it): Basic credentials, ids stripped to digits and commas, one SQL
// query per call over mysqli, each row mapped, json_encode. Written for bench/php_sample.py.
$login = "root";
$password = getenv('BENCH_API_PASSWORD') ?: 'abc';
if (!isset($_SERVER['PHP_AUTH_USER']) || $_SERVER['PHP_AUTH_PW'] != $password
    || strtolower($_SERVER['PHP_AUTH_USER']) != $login) {
    header('WWW-Authenticate: Basic realm="Backend"');
    http_response_code(401);
    echo json_encode(["code" => 401, "version" => 1, "error" => "Authenticate required!", "debug" => ""]);
    exit;
}
$ids = trim(preg_replace('/[^0-9,]/', '', $_GET['user_ids'] ?? ''), ',');
if ($ids === '') {
    echo '[]';
    exit;
}
$table = getenv('BENCH_TABLE') ?: 'test.imbachat_bench_users';
$db = mysqli_connect('localhost', 'root', '', 'test');
$rows = mysqli_query($db, "SELECT * FROM $table WHERE user_id IN ($ids)");
$users = [];
while ($row = mysqli_fetch_assoc($rows)) {
    $users[] = [
        'user_id' => $row['user_id'],
        'name' => $row['display_name'],
        'avatar_url' => empty($row['avatar']) ? false : 'https://www.example.com/contents/avatars/' . $row['avatar'],
        'profile_url' => 'https://www.example.com/members/' . $row['user_id'] . '/',
        'lastlogin' => strtotime($row['last_login_date']),
        'badge' => $row['custom10'],
    ];
}
mysqli_close($db);
header('Content-Type: application/json');
echo json_encode($users);
